import Foundation
import GRDB
import Logging
import NIOPosix
import Synchronization

/// One SQLite file opened by this process, through GRDB: every worker of a host opens the same
/// file, so it runs in WAL mode (readers never block the writer). GRDB keeps a writer
/// connection and a few readers, each on a dispatch queue of its own, never on an event loop.
///
/// Two things make this fast where a statement-at-a-time driver was not (the profile of a
/// refresh on sqlite-nio: a tenth of the worker in `sqlite3_prepare`, and a thread-pool trip,
/// a future and a continuation for every statement, BEGIN and COMMIT included):
/// - statements are prepared once per connection (`cachedStatement`);
/// - a write, or a whole batch of concurrent writes, runs in one trip to the writer's queue.
package final class SQLiteDatabase: Sendable {
    package let path: String
    private let pool: DatabasePool
    /// A connection of its own for checkpoints: it must give up at once when readers are busy,
    /// where the pool's connections wait (see `SQLiteBusyWait`).
    private let checkpointer: DatabaseQueue
    /// Where writes go, committed in batches.
    private let writer: SQLiteWriteBatcher

    private init(path: String, pool: DatabasePool, checkpointer: DatabaseQueue) {
        self.path = path
        self.pool = pool
        self.checkpointer = checkpointer
        self.writer = SQLiteWriteBatcher(pool: pool)
    }

    /// The bytes a restarted write-ahead log keeps on disk (see `runCheckpoints`).
    static let logSizeLimit = 64 << 20

    /// Reader connections a worker opens to one file (the writer is one more).
    static let readersPerProcess = 4

    package static func open(path: String, logger: Logger) async throws -> SQLiteDatabase {
        // Created readable by this user only: it holds sessions, grants and the users' site tokens.
        // (SQLite gives the -wal and -shm files the same permissions.)
        if !FileManager.default.fileExists(atPath: path) {
            let descriptor = Glibc.open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
            if descriptor >= 0 { Glibc.close(descriptor) }
        }
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.maximumReaderCount = readersPerProcess
        configuration.busyMode = SQLiteBusyWait.mode
        configuration.label = "oauth2-sqlite"
        configuration.prepareDatabase { db in
            // Durable at every checkpoint, not every commit: WAL with NORMAL loses no committed
            // transaction on a process crash, only (possibly) the last ones on a power cut.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Every write by another worker empties a connection's page cache (WAL mode), so
            // pages are read again and again; mapped, a read is a memory access, not a pread()
            // and a copy.
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
            // Checkpoints are `runCheckpoints()`'s job; SQLite's own, after a commit, stays only
            // as a safety net (see there why it cannot do the job under load).
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA wal_autocheckpoint = 10000") }
            try db.execute(sql: "PRAGMA journal_size_limit = \(logSizeLimit)")
        }
        var impatient = Configuration()
        impatient.busyMode = .immediateError
        impatient.label = "oauth2-sqlite-checkpoint"
        impatient.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_size_limit = \(logSizeLimit)") }
        let (pool, checkpointer) = try await Task.detached {
            // GRDB opens connections synchronously: not on the caller's event loop.
            (try DatabasePool(path: path, configuration: configuration), try DatabaseQueue(path: path, configuration: impatient))
        }.value
        return SQLiteDatabase(path: path, pool: pool, checkpointer: checkpointer)
    }

    /// Runs statements that commit together (all or none), with the writes of concurrent callers.
    @discardableResult
    package func write(_ statements: [SQLiteStatement]) async throws -> [[SQLiteRow]] {
        try await writer.write(statements)
    }

    /// Runs one statement that only reads, on a reader connection, and returns its rows.
    @discardableResult
    package func rows(_ sql: String, _ binds: [DatabaseValue] = []) async throws -> [SQLiteRow] {
        try await rows(SQLiteStatement(sql, binds))
    }

    func rows(_ statement: SQLiteStatement) async throws -> [SQLiteRow] {
        // One statement is its own snapshot: no BEGIN and COMMIT around it.
        try await read { db in try statement.run(in: db) }
    }

    /// Runs reads on one reader connection in one trip (not one snapshot: each statement sees
    /// what was committed when it ran). The trip is one hop to NIO's thread pool, where GRDB's
    /// synchronous read runs on that thread: its asynchronous read costs a semaphore, a
    /// dispatch-queue actor and two more thread wake-ups, and made an introspection take twice
    /// the CPU that it takes this way (writes keep GRDB's own queue: they are batched).
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let pool = self.pool
        return try await NIOThreadPool.singleton.runIfActive { try pool.unsafeRead(body) }
    }

    /// Checkpoints the write-ahead log and restarts it, every `interval`, until cancelled.
    /// SQLite's automatic checkpoint, run by whichever commit finds the log long, copies the
    /// log's pages back but cannot restart the log while any connection still reads from it,
    /// and under steady load some connection always does: the log grew by 600 MB in a minute
    /// of refreshes, and every commit scanned it again. A RESTART checkpoint needs only a
    /// moment when the readers that began before it have finished (later readers use the file
    /// itself), so it is tried a few times a few milliseconds apart.
    ///
    /// Restarted, not truncated: the next commits overwrite the log from its start, in blocks
    /// the file already has. A log truncated every second had to be grown again by every
    /// commit, and the file system's block allocation and zeroing of the new blocks was a
    /// tenth of a code exchange's CPU. `journal_size_limit` still cuts a log that a burst made
    /// long back to `logSizeLimit` when it restarts.
    package func runCheckpoints(every interval: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            _ = await checkpoint()
        }
    }

    /// Copies the log into the file and lets the next commit restart it; false if readers kept it busy
    /// through every try (the next round tries again).
    package func checkpoint() async -> Bool {
        for _ in 0..<20 where !Task.isCancelled {
            let busy = try? await checkpointer.writeWithoutTransaction { db in
                try Int.fetchOne(db, sql: "PRAGMA wal_checkpoint(RESTART)")
            }
            if busy == 0 { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    package func close() async {
        let (pool, checkpointer) = (pool, checkpointer)
        await Task.detached {
            try? pool.close()
            try? checkpointer.close()
        }.value
    }

    /// Brings the file's schema to the newest version (`StorageSchema.migrate`).
    package func migrate(logger: Logger) async throws {
        try await StorageSchema.migrate(SQLiteDialect(self), description: "SQLite \(path)", logger: logger)
    }
}

/// How a connection waits for another process's write lock (SQLITE_BUSY). SQLite's own busy
/// timeout sleeps 1, 2, 5, 10… ms; with every worker of a host writing to one file, that
/// oversleeping was where most of a request's time went. This pauses 20 µs, then twice as long
/// each time up to 2 ms, for at most five seconds in all. It blocks only the connection's own
/// dispatch queue, never an event loop.
enum SQLiteBusyWait {
    static let mode = Database.BusyMode.callback { tries in
        let pause = tries < 7 ? 20 << tries : 2_000  // microseconds: 20, 40 … 1280, then 2000
        // 2.5 ms for the first seven tries, then 2 ms a try: five seconds in about 2,500 tries.
        guard tries < 2_500 else { return false }
        usleep(UInt32(pause))
        return true
    }
}

/// One statement and its arguments.
package struct SQLiteStatement: Sendable {
    let sql: String
    let binds: [DatabaseValue]
    /// Prepared once per connection and kept. Off for statements whose text varies (a multi-row
    /// INSERT of a batch), which would fill the cache with one-off entries.
    let cached: Bool

    package init(_ sql: String, _ binds: [DatabaseValue] = [], cached: Bool = true) {
        self.sql = sql
        self.binds = binds
        self.cached = cached
    }

    /// Runs the statement on `db` and returns its rows (none for a write without RETURNING).
    func run(in db: Database) throws -> [SQLiteRow] {
        let statement = cached ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
        // GRDB's initializer for a sequence of one concrete type maps through a key path that
        // is instantiated anew on every call (3 % of a refresh's CPU); this one takes a closure.
        statement.setUncheckedArguments(StatementArguments(binds.map { $0 as (any DatabaseValueConvertible)? }))
        let cursor = try Row.fetchCursor(statement)
        var rows: [SQLiteRow] = []
        while let row = try cursor.next() { rows.append(SQLiteRow(row)) }
        return rows
    }
}

/// A row copied out of GRDB's (which is only valid while its cursor is), by column position.
package struct SQLiteRow: Sendable {
    private let columns: [DatabaseValue]

    init(_ row: Row) {
        columns = Array(row.databaseValues)
    }

    package func integer(_ column: Int) -> Int64? { Int64.fromDatabaseValue(columns[column]) }
    package func text(_ column: Int) -> String? { String.fromDatabaseValue(columns[column]) }
    package func bytes(_ column: Int) -> [UInt8]? {
        guard case .blob(let data) = columns[column].storage else { return nil }
        return [UInt8](data)
    }
}
