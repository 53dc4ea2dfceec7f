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

    /// How long one storage call may wait for PostgreSQL's answers (the pool closes a connection
    /// that keeps a call waiting longer; `OutageMonitor` adds no timer of its own).
    package static let callLimit = Duration.seconds(3)

    /// The connections a worker opens to the primary at most (as queries need them).
    static let maximumConnections = 8

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

    /// Runs `body` with a connection of the pool connected to the primary, all of it bounded by
    /// `callLimit`; a failure that says the pool is connected to the wrong place (or nowhere)
    /// makes the run loop look for the primary again.
    @discardableResult
    func withClient<T>(_ body: (PostgresSession) async throws -> T) async throws -> T {
        let deadline = NIODeadline.now() + TimeAmount(Self.callLimit)
        let (pooled, generation) = try await connection(until: deadline)
        do {
            return try await pooled.call(until: deadline) {
                try await body(PostgresSession(connection: pooled.connection, logger: logger))
            }
        } catch {
            report(error, generation: generation)
            throw error
        }
    }

    /// A connection of the pool serving now. Usually one is open; otherwise this waits (at most
    /// until `deadline`) for the primary to be found or for the connection attempt its lease
    /// joined, not for another one.
    private func connection(until deadline: NIODeadline) async throws -> (PooledPostgresConnection, generation: Int) {
        var joined: (opening: EventLoopFuture<PooledPostgresConnection>, generation: Int)?
        if let pool = slot.current {
            switch try pool.connections.lease() {
            case .ready(let pooled): return (pooled, pool.generation)
            case .pending(let opening): joined = (opening, pool.generation)
            }
        }
        // `withTimeout` runs on the caller's loop when there is one; the group's is for others.
        do {
            return try await withTimeout(.nanoseconds((deadline - .now()).nanoseconds), on: PostgresClient.defaultEventLoopGroup.any()) {
                [self, joined] in
                if let joined { return try await self.opened(joined.opening, generation: joined.generation) }
                let pool = try await slot.pool()
                switch try pool.connections.lease() {
                case .ready(let pooled): return (pooled, pool.generation)
                case .pending(let opening): return try await opened(opening, generation: pool.generation)
                }
            }
        } catch is TimedOut {
            throw PostgresCallTimedOut(limit: Self.callLimit)
        }
    }

    /// The connection an attempt opens; a failed attempt is reported like a failed query.
    private func opened(
        _ opening: EventLoopFuture<PooledPostgresConnection>, generation: Int
    ) async throws -> (PooledPostgresConnection, generation: Int) {
        do {
            return (try await opening.get(), generation)
        } catch {
            report(error, generation: generation)
            throw error
        }
    }

    /// Runs `body` on a connection to the primary that no other query uses (a transaction),
    /// closed afterwards.
    func withDedicatedConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let pool = try await slot.pool()
        do {
            return try await pool.connections.withDedicatedConnection(body)
        } catch {
            report(error, generation: pool.generation)
            throw error
        }
    }

    private func report(_ error: any Error, generation: Int) {
        if let trouble = PostgresTrouble(error, cancelled: Task.isCancelled) {
            slot.report(trouble, generation: generation)
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
            // NIO's shared loops, which the worker's HTTP server runs on too: a query's
            // connection lives on the loop its request runs on.
            let connections = PostgresConnectionPool(
                address: address, locator: locator, eventLoopGroup: PostgresClient.defaultEventLoopGroup,
                maximumConnections: servesRequests ? Self.maximumConnections : 1, callLimit: Self.callLimit, logger: logger)
            let pool = PostgresPrimarySlot.Pool(connections: connections, generation: generation)
            slot.serve(pool)
            await watch(pool)
            slot.withdraw()
            await connections.shutdown()
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
