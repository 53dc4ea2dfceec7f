import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// A pooled, non-blocking PostgreSQL client for the groups configured with the same server,
/// user and database. Its `run()` must be running (the worker keeps it in its service group).
public final class PostgresDatabase: Sendable {
    public let client: PostgresClient
    public let description: String

    /// `servesRequests` false for a one-off client (migrations): it opens connections on demand only.
    public init(options: StorageBackendConfig.PostgresOptions, logger: Logger, servesRequests: Bool = true) {
        var configuration = PostgresClient.Configuration(
            host: options.host, port: options.port, username: options.user,
            password: options.password.isEmpty ? nil : options.password, database: options.database,
            tls: options.ssl ? .require(.makeClientConfiguration()) : .disable)
        configuration.options.connectTimeout = .seconds(3)
        // The pool arms an idle timer and a keep-alive timer whenever a connection it may close
        // or must ping goes back to it, and disarms them at the next lease: under load that is
        // two timer tasks a query (a fifth of a refresh's worker CPU). So the connections a
        // worker needs stay open (the minimum), only an overflow connection times out, and no
        // keep-alive pings run: a connection the server or a failover closed is replaced when
        // it closes, and a dead one fails its next query, which every caller bounds in time.
        configuration.options.minimumConnections = servesRequests ? 8 : 0
        configuration.options.maximumConnections = servesRequests ? 9 : 1
        configuration.options.connectionIdleTimeout = .seconds(60)
        configuration.options.keepAliveBehavior = nil
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        description = "Postgres \(options.user)@\(options.host):\(options.port)/\(options.database)"
    }

    /// Runs the connection pool until the task is cancelled; queries wait for it to run.
    public func run() async {
        await client.run()
    }

    /// Runs the pool only while `body` runs (one-off clients: migrations, check-config).
    public func whileRunning<T: Sendable>(_ body: @escaping @Sendable (PostgresDatabase) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { await self.run(); return nil }
            group.addTask { try await body(self) }
            defer { group.cancelAll() }
            // The body finishes first (or throws); run() only ends when cancelled.
            while let outcome = try await group.next() {
                if let value = outcome { return value }
            }
            preconditionFailure("the body's task always returns a value")
        }
    }

    /// Deletes the expired rows of every group in the database; reads already ignore them.
    public func purgeExpired() async throws {
        let now = StorageClock.nowMilliseconds()
        try await client.query("DELETE FROM oauth2_records WHERE expires_at IS NOT NULL AND expires_at <= \(now)")
        try await client.query("DELETE FROM oauth2_index WHERE expires_at IS NOT NULL AND expires_at <= \(now)")
        try await client.query("DELETE FROM oauth2_counters WHERE expires_at <= \(now)")
    }

    /// Brings the database's schema to the newest version. The advisory lock serialises
    /// supervisors of several hosts starting at once; each step is applied once.
    public func migrate(logger: Logger) async throws {
        try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                // An arbitrary, fixed lock id: "oauth2" in ASCII.
                try await connection.query("SELECT pg_advisory_xact_lock(111111116611150)", logger: logger)
                try await connection.query(PostgresQuery(unsafeSQL: StorageSchema.versionTable), logger: logger)
                var current = 0
                for try await version in try await connection.query(
                    "SELECT COALESCE(MAX(version), 0)::INT AS v FROM oauth2_schema_migrations", logger: logger
                ).decode(Int.self) {
                    current = version
                }
                for migration in StorageSchema.migrations(for: .postgres) where migration.version > current {
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        "INSERT INTO oauth2_schema_migrations (version, applied_at_ms) VALUES (\(migration.version), \(StorageClock.nowMilliseconds()))",
                        logger: logger)
                    logger.notice("\(self.description): applied schema migration \(migration.version)")
                }
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }
}
