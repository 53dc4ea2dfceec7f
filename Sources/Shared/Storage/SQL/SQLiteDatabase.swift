import Logging
import NIOCore
import NIOPosix
import SQLiteNIO
import Synchronization

/// One SQLite file opened by this process: every worker of a host opens the same file, so it
/// runs in WAL mode (readers never block the writer) with a busy timeout (writers of different
/// processes queue instead of failing). Queries run on NIO's thread pool, never on an event loop.
public final class SQLiteDatabase: Sendable {
    public let path: String
    private let connection: SQLiteConnection
    /// One statement at a time on the connection. sqlite-nio runs each query on a pool thread,
    /// and two queries stepping at once on one connection share its transaction: a write that
    /// starts while a read holds an older snapshot fails with SQLITE_BUSY_SNAPSHOT, which no busy
    /// timeout cures (seen as 503s under concurrent token requests), and overlapping reads could
    /// keep seeing an old snapshot. (A second, reading connection was measured with scripts/bench
    /// and gained nothing: statements take microseconds.)
    private let turn = AsyncLock()
    /// How long a statement may wait for another process's write lock. SQLite's own busy
    /// handler sleeps 1, 2, 5, 10… ms on a pool thread, holding this connection's turn all the
    /// while; with every worker of a host writing to one file, that sleeping was where most of
    /// a request's time went. So SQLite answers SQLITE_BUSY at once (busy_timeout 0) and the
    /// statement is retried here after a pause of tens of microseconds, growing, with the turn
    /// released meanwhile. Nil: SQLite's own handler (a connection that holds a transaction
    /// across statements, as migrations do, cannot retry one statement alone).
    private let busyRetryLimit: Duration?

    private init(path: String, connection: SQLiteConnection, busyRetryLimit: Duration?) {
        self.path = path
        self.connection = connection
        self.busyRetryLimit = busyRetryLimit
    }

    /// - Parameter threadPool: where statements run. A connection that holds a transaction
    ///   across statements (migrations) needs threads of its own: SQLite's busy wait blocks a
    ///   pool thread, and waiters must not starve the lock holder.
    public static func open(
        path: String, logger: Logger, threadPool: NIOThreadPool = .singleton, holdsTransactions: Bool = false
    ) async throws -> SQLiteDatabase {
        let connection = try await SQLiteConnection.open(
            storage: .file(path: path), threadPool: threadPool, logger: logger,
            on: MultiThreadedEventLoopGroup.singleton.any())
        let database = SQLiteDatabase(path: path, connection: connection, busyRetryLimit: holdsTransactions ? nil : .seconds(5))
        // journal_mode=WAL persists in the file; the others hold for this connection.
        _ = try await database.rows(holdsTransactions ? "PRAGMA busy_timeout = 5000" : "PRAGMA busy_timeout = 0")
        _ = try await database.rows("PRAGMA journal_mode = WAL")
        _ = try await database.rows("PRAGMA synchronous = NORMAL")
        return database
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    public func rows(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        guard let busyRetryLimit else { return try await step(sql, binds) }
        let deadline = ContinuousClock.now + busyRetryLimit
        var pause = Duration.microseconds(20)
        while true {
            do {
                return try await step(sql, binds)
            } catch let error as SQLiteError where Self.isBusy(error) && ContinuousClock.now < deadline {
                // A statement that met SQLITE_BUSY in autocommit mode changed nothing: run it again.
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .milliseconds(2))
            }
        }
    }

    private func step(_ sql: String, _ binds: [SQLiteData]) async throws -> [SQLiteRow] {
        try await turn.withLock {
            let collected = Mutex<[SQLiteRow]>([])
            try await connection.query(sql, binds) { row in collected.withLock { $0.append(row) } }
            return collected.withLock { $0 }
        }
    }

    private static func isBusy(_ error: SQLiteError) -> Bool {
        switch error.reason {
        case .busy, .busyInRecovery, .busyInSnapshot, .busyTimeout, .locked: true
        default: false
        }
    }

    /// Deletes the expired rows of every group in the file; reads already ignore them, this
    /// keeps the file small.
    public func purgeExpired() async throws {
        let now = SQLiteData.integer(Int(StorageClock.nowMilliseconds()))
        try await rows("DELETE FROM oauth2_records WHERE expires_at IS NOT NULL AND expires_at <= ?", [now])
        try await rows("DELETE FROM oauth2_index WHERE expires_at IS NOT NULL AND expires_at <= ?", [now])
    }

    public func close() async {
        try? await connection.close()
    }

    /// Brings the file's schema to the newest version. `BEGIN IMMEDIATE` takes the write lock
    /// first, so two processes migrating at once apply each step once.
    public func migrate(logger: Logger) async throws {
        try await rows("BEGIN IMMEDIATE")
        do {
            try await rows(StorageSchema.versionTable)
            let current = try await rows("SELECT COALESCE(MAX(version), 0) AS v FROM oauth2_schema_migrations")
                .first?.column("v")?.integer ?? 0
            for migration in StorageSchema.migrations(for: .sqlite) where migration.version > current {
                for statement in migration.statements { try await rows(statement) }
                try await rows(
                    "INSERT INTO oauth2_schema_migrations (version, applied_at_ms) VALUES (?, ?)",
                    [.integer(migration.version), .integer(Int(StorageClock.nowMilliseconds()))])
                logger.notice("SQLite \(path): applied schema migration \(migration.version)")
            }
            try await rows("COMMIT")
        } catch {
            _ = try? await rows("ROLLBACK")
            throw error
        }
    }
}
