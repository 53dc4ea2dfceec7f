import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLiteNIO
import Synchronization

/// One SQLite file opened by this process: every worker of a host opens the same file, so it
/// runs in WAL mode (readers never block the writer). Queries run on NIO's thread pool, never
/// on an event loop.
public final class SQLiteDatabase: Sendable {
    public let path: String
    /// A few connections, each running one statement at a time. sqlite-nio runs each query on a
    /// pool thread, and two queries stepping at once on one connection share its transaction: a
    /// write that starts while a read holds an older snapshot fails with SQLITE_BUSY_SNAPSHOT
    /// (seen as 503s under concurrent token requests). Several connections keep statements
    /// from queueing behind each other's trips to the thread pool, which is what bounded a
    /// worker's sign-ins and consents (each a handful of statements).
    private let connections: AsyncPool<SQLiteConnection>
    private let connectionCount: Int
    /// How long a statement may wait for another process's write lock. SQLite's own busy
    /// handler sleeps 1, 2, 5, 10… ms on a pool thread, holding a connection all the while; with every worker of a host writing to one file, that sleeping was where most of
    /// a request's time went. So SQLite answers SQLITE_BUSY at once (busy_timeout 0) and the
    /// statement is retried here after a pause of tens of microseconds, growing, with its
    /// connection free for others meanwhile. Nil: SQLite's own handler (a connection that holds a transaction
    /// across statements, as migrations do, cannot retry one statement alone).
    private let busyRetryLimit: Duration?

    /// Where writes go, batched; nil for a connection that holds transactions (migrations).
    private let writer: SQLiteWriteBatcher?

    private init(path: String, connections: [SQLiteConnection], writer: SQLiteWriteBatcher?, busyRetryLimit: Duration?) {
        self.path = path
        self.connections = AsyncPool(connections)
        self.connectionCount = connections.count
        self.writer = writer
        self.busyRetryLimit = busyRetryLimit
    }

    /// Connections a worker opens to one file for reads; writes have one more of their own.
    static let connectionsPerProcess = 4

    /// - Parameter threadPool: where statements run. A connection that holds a transaction
    ///   across statements (migrations) needs threads of its own: SQLite's busy wait blocks a
    ///   pool thread, and waiters must not starve the lock holder.
    public static func open(
        path: String, logger: Logger, threadPool: NIOThreadPool = .singleton, holdsTransactions: Bool = false
    ) async throws -> SQLiteDatabase {
        // Created readable by this user only: it holds sessions, grants and the users' site tokens.
        // (SQLite gives the -wal and -shm files the same permissions.)
        if !FileManager.default.fileExists(atPath: path) {
            let descriptor = Glibc.open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
            if descriptor >= 0 { Glibc.close(descriptor) }
        }
        var connections: [SQLiteConnection] = []
        do {
            // A transaction spans statements on one connection: then there is only one.
            for _ in 0..<(holdsTransactions ? 1 : connectionsPerProcess + 1) {
                let connection = try await SQLiteConnection.open(
                    storage: .file(path: path), threadPool: threadPool, logger: logger,
                    on: MultiThreadedEventLoopGroup.singleton.any())
                connections.append(connection)
                // journal_mode=WAL persists in the file; the others hold for this connection.
                _ = try await connection.query(holdsTransactions ? "PRAGMA busy_timeout = 5000" : "PRAGMA busy_timeout = 0")
                _ = try await connection.query("PRAGMA journal_mode = WAL")
                _ = try await connection.query("PRAGMA synchronous = NORMAL")
                // Every write by another worker empties a connection's page cache (WAL mode), so
                // pages are read again and again; mapped, a read is a memory access, not a
                // pread() and a copy.
                _ = try await connection.query("PRAGMA mmap_size = 268435456")
                // Checkpoints are `runCheckpoints()`'s job; SQLite's own, after a commit, stays
                // only as a safety net (see there why it cannot do the job under load).
                _ = try await connection.query("PRAGMA wal_autocheckpoint = 10000")
            }
        } catch {
            for connection in connections { try? await connection.close() }
            throw error
        }
        if holdsTransactions {
            return SQLiteDatabase(path: path, connections: connections, writer: nil, busyRetryLimit: nil)
        }
        let writer = SQLiteWriteBatcher(connection: connections.removeLast(), busyRetryLimit: .seconds(5))
        return SQLiteDatabase(path: path, connections: connections, writer: writer, busyRetryLimit: .seconds(5))
    }

    /// Runs one statement that changes the file and returns its rows (RETURNING), committed
    /// with the writes of concurrent callers.
    @discardableResult
    public func write(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        try await write([SQLiteStatement(sql, binds)])[0]
    }

    /// Runs statements that commit together (all or none), with the writes of concurrent callers.
    @discardableResult
    public func write(_ statements: [SQLiteStatement]) async throws -> [[SQLiteRow]] {
        if let writer { return try await writer.write(statements) }
        var results: [[SQLiteRow]] = []
        for statement in statements { results.append(try await rows(statement.sql, statement.binds)) }
        return results
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    public func rows(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        guard let busyRetryLimit else { return try await step(sql, binds) }
        return try await Self.retryingWhileBusy(for: busyRetryLimit) { try await step(sql, binds) }
    }

    /// Runs `operation` again while it meets another process's lock (SQLITE_BUSY), pausing 20 µs,
    /// then twice as long each time up to 2 ms, until `limit` has passed. What met SQLITE_BUSY in
    /// autocommit mode, or a BEGIN that did, changed nothing, so running it again is safe.
    static func retryingWhileBusy(for limit: Duration, _ operation: () async throws -> [SQLiteRow]) async throws -> [SQLiteRow] {
        let deadline = ContinuousClock.now + limit
        var pause = Duration.microseconds(20)
        while true {
            do {
                return try await operation()
            } catch let error as SQLiteError where isBusy(error) && ContinuousClock.now < deadline {
                try await Self.pause(pause)
                pause = min(pause * 2, .milliseconds(2))
            }
        }
    }

    /// A short wait on the event loop's timer. `Task.sleep` goes through Dispatch's timer
    /// threads (only plain enqueues reach the event loop that runs Swift concurrency's jobs here):
    /// a thread wake-up and a hop for every pause.
    static func pause(_ duration: Duration) async throws {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        try await MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(nanoseconds)) {}.futureResult.get()
    }

    /// Checkpoints the write-ahead log and truncates it, every `interval`, until cancelled.
    /// SQLite's automatic checkpoint, run by whichever commit finds the log long, copies the
    /// log's pages back but cannot restart the log while any connection still reads from it,
    /// and under steady load some connection always does: the log grew by 600 MB in a minute
    /// of refreshes, and every commit scanned it again. A TRUNCATE checkpoint needs only a
    /// moment when the readers that began before it have finished (later readers use the file
    /// itself), so it is tried a few times a few milliseconds apart.
    public func runCheckpoints(every interval: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            _ = await checkpoint()
        }
    }

    /// Copies the log into the file and truncates the log; false if readers kept it busy
    /// through every try (the next round tries again).
    public func checkpoint() async -> Bool {
        for _ in 0..<20 where !Task.isCancelled {
            guard let row = try? await step("PRAGMA wal_checkpoint(TRUNCATE)", []).first else { return false }
            if row.column("busy")?.integer == 0 { return true }
            try? await Self.pause(.milliseconds(5))
        }
        return false
    }

    private func step(_ sql: String, _ binds: [SQLiteData]) async throws -> [SQLiteRow] {
        try await connections.withResource { connection in try await Self.rows(of: connection, sql, binds) }
    }

    static func rows(of connection: SQLiteConnection, _ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        let collected = Mutex<[SQLiteRow]>([])
        try await connection.query(sql, binds) { row in collected.withLock { $0.append(row) } }
        return collected.withLock { $0 }
    }

    static func isBusy(_ error: SQLiteError) -> Bool {
        switch error.reason {
        case .busy, .busyInRecovery, .busyInSnapshot, .busyTimeout, .locked: true
        default: false
        }
    }

    /// Deletes the expired rows of every group in the file; reads already ignore them, this
    /// keeps the file small.
    public func purgeExpired() async throws {
        let now = SQLiteData.integer(Int(StorageClock.nowMilliseconds()))
        try await write("DELETE FROM oauth2_records WHERE expires_at IS NOT NULL AND expires_at <= ?", [now])
        try await write("DELETE FROM oauth2_index WHERE expires_at IS NOT NULL AND expires_at <= ?", [now])
        try await write("DELETE FROM oauth2_counters WHERE expires_at <= ?", [now])
    }

    public func close() async {
        for connection in await connections.drain(count: connectionCount) { try? await connection.close() }
        await writer?.close()
    }

    /// Brings the file's schema to the newest version. `BEGIN IMMEDIATE` takes the write lock
    /// first, so two processes migrating at once apply each step once.
    public func migrate(logger: Logger) async throws {
        // Every statement of the transaction on one connection.
        try await connections.withResource { connection in
            func run(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
                try await Self.rows(of: connection, sql, binds)
            }
            _ = try await run("BEGIN IMMEDIATE")
            do {
                _ = try await run(StorageSchema.versionTable)
                let current = try await run("SELECT COALESCE(MAX(version), 0) AS v FROM oauth2_schema_migrations")
                    .first?.column("v")?.integer ?? 0
                for migration in StorageSchema.migrations(for: .sqlite) where migration.version > current {
                    for statement in migration.statements { _ = try await run(statement) }
                    _ = try await run(
                        "INSERT INTO oauth2_schema_migrations (version, applied_at_ms) VALUES (?, ?)",
                        [.integer(migration.version), .integer(Int(StorageClock.nowMilliseconds()))])
                    logger.notice("SQLite \(path): applied schema migration \(migration.version)")
                }
                _ = try await run("COMMIT")
            } catch {
                _ = try? await run("ROLLBACK")
                throw error
            }
        }
    }
}
