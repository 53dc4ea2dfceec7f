import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import SharedPlatform

/// A pooled, non-blocking PostgreSQL client for the groups configured with the same servers,
/// user and database. Its `run()` must be running (the worker keeps it in its service group).
///
/// The pool is connected to the primary: the first of the group's hosts that takes writes. When
/// a query shows that server is gone or no longer takes writes (its connection is lost, or a
/// write is refused as read-only after a failover), the pool is replaced: the hosts are asked
/// again, in order, and a new pool connects to the one that takes writes. Queries meanwhile
/// fail, which requests answer with 503 (`OutageMonitor`). Making a standby the primary is
/// PostgreSQL's own tooling's job; this only follows it.
package final class PostgresDatabase: Sendable {
    package let description: String
    private let options: StorageBackendConfig.PostgresOptions
    private let servesRequests: Bool
    private let locator: PostgresPrimaryLocator
    private let slot: PostgresPrimarySlot
    private let logger: Logger

    /// How long the run loop waits between two searches that found no primary.
    static let searchInterval = Duration.milliseconds(500)

    /// `servesRequests` false for a one-off client (migrations): it opens connections on demand only.
    package init(options: StorageBackendConfig.PostgresOptions, logger: Logger, servesRequests: Bool = true) {
        self.options = options
        self.servesRequests = servesRequests
        self.logger = logger
        locator = PostgresPrimaryLocator(options: options, eventLoopGroup: PostgresClient.defaultEventLoopGroup, logger: logger)
        slot = PostgresPrimarySlot(failFast: servesRequests)
        description = options.description
    }

    /// Runs `body` with the pool connected to the primary; a failure that says the pool is
    /// connected to the wrong place (or nowhere) makes the run loop look for the primary again.
    @discardableResult
    func withClient<T>(_ body: (PostgresClient) async throws -> T) async throws -> T {
        let pool = try await slot.pool()
        do {
            return try await body(pool.client)
        } catch {
            if let trouble = PostgresTrouble(error, cancelled: Task.isCancelled) {
                slot.report(trouble, generation: pool.generation)
            }
            throw error
        }
    }

    /// Runs the pool until the task is cancelled: finds the primary, serves queries from a pool
    /// connected to it, and finds the primary again when that pool has to go. Queries wait for it to run.
    package func run() async {
        var generation = 0
        var primary: StorageBackendConfig.ServerAddress?
        while !Task.isCancelled {
            let address: StorageBackendConfig.ServerAddress
            do {
                address = try await locator.locate().primary!
            } catch {
                slot.searchFailed(error.description)
                logger.debug("\(description): \(error.description)")
                try? await Task.sleep(for: Self.searchInterval)
                continue
            }
            if address != primary, options.candidates.count > 1 {
                logger.notice("\(description): \(address) is the primary")
            }
            primary = address
            generation += 1
            let client = makeClient(for: address)
            let pool = PostgresPrimarySlot.Pool(client: client, address: address, generation: generation)
            await withDiscardingTaskGroup { group in
                group.addTask { await client.run() }
                slot.serve(pool)
                await watch(pool)
                slot.withdraw()
                group.cancelAll()
            }
        }
        slot.stop()
    }

    /// Returns when `pool` has to go (or the task is cancelled). A lost connection or a refused
    /// write is enough; a call that only ran out of time is checked first, on a connection of
    /// its own: a server that answers and takes writes keeps its pool (it was slow, not gone),
    /// and for a second no other timeout makes it check again.
    private func watch(_ pool: PostgresPrimarySlot.Pool) async {
        while let trouble = await slot.nextTrouble() {
            if trouble == .suspect, await locator.role(of: pool.address) == .primary {
                slot.quiet(for: .seconds(1))
                continue
            }
            if !Task.isCancelled {
                logger.notice("\(description): \(pool.address) is gone or no longer takes writes; asking the hosts for the primary")
            }
            return
        }
    }

    private func makeClient(for address: StorageBackendConfig.ServerAddress) -> PostgresClient {
        var configuration = PostgresClient.Configuration(
            host: address.host, port: address.port, username: options.user,
            password: options.password.isEmpty ? nil : options.password, database: options.database,
            tls: options.ssl ? .require(.makeClientConfiguration()) : .disable)
        configuration.options.connectTimeout = .seconds(3)
        // No minimum of open connections: with one, postgres-nio 1.33's pool traps (a
        // precondition, so the whole worker stops) when it must grow after it has given up
        // connections it could not reopen: the server went away while they were idle, the pool
        // kept one of them retrying and dropped the rest, and once the server is back a request
        // that finds no free connection asks for a new one while fewer than the minimum are
        // open. With no minimum that check always holds. The price is an idle timer armed each
        // time a connection goes back to the pool (and disarmed at its next lease).
        // No keep-alive pings either: a connection the server or a failover closed fails its
        // next query, which every caller bounds in time, and that failure replaces the pool.
        configuration.options.minimumConnections = 0
        configuration.options.maximumConnections = servesRequests ? 9 : 1
        configuration.options.connectionIdleTimeout = .seconds(60)
        configuration.options.keepAliveBehavior = nil
        return PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    /// Runs the pool only while `body` runs (one-off clients: migrations, check-config).
    package func whileRunning<T: Sendable>(_ body: @escaping @Sendable (PostgresDatabase) async throws -> T) async throws -> T {
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

    /// Brings the database's schema to the newest version (`StorageSchema.migrate`).
    package func migrate(logger: Logger) async throws {
        try await StorageSchema.migrate(PostgresDialect(self), description: description, logger: logger)
    }
}
