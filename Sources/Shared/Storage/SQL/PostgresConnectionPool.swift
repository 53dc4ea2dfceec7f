import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import SharedPlatform
import Synchronization

/// Connections to one PostgreSQL server: a few on each event loop, shared by the queries that
/// start on that loop.
///
/// A `PostgresConnection` queues the queries it is given and runs them in turn, so a query needs
/// no lease: it takes the next connection of its own loop's lane, round robin, and its answer
/// arrives on the thread the request already runs on (no hop to another loop and back). No
/// timer runs per query (each connection has one for its oldest call's deadline, see
/// `PooledPostgresConnection`); a connection stays open until it fails or the pool shuts down,
/// and a slot whose connection closed is refilled by the next query that lands on it.
/// Transactions need a connection of their own (`withDedicatedConnection`): other queries
/// would run inside them.
///
/// It replaces postgres-nio's `PostgresClient`, which leases a connection per query and, with
/// no minimum of open connections, arms an idle timer each time one goes back; with a minimum
/// (postgres-nio 1.33) its pool traps on a precondition when it must grow after a server
/// restart, which stopped the whole worker.
///
/// Stays separate from `RedisConnectionPool`, whose slots (empty, connecting, ready) and shared
/// connection attempts look the same: this pool picks a slot in the caller's loop's lane where
/// Redis's goes round one list, leases without waiting (the caller bounds the wait by its call's
/// deadline), and keeps its connections' deadlines in `PooledPostgresConnection`; the Redis pool
/// forgets the primary when an attempt fails and logs when Redis stops and starts answering. A
/// slot table generic over both would share the few lines of that switch and hide each pool's
/// choices behind parameters.
final class PostgresConnectionPool: Sendable {
    private enum Slot {
        case empty
        case connecting(attempt: Int, EventLoopFuture<PooledPostgresConnection>)
        case ready(PooledPostgresConnection)
    }

    /// The slots of one event loop and the next one to hand out.
    private struct Lane {
        var slots: [Slot]
        var next = 0
    }

    private struct State {
        var lanes: [Lane]
        /// Queries from threads that are not one of the loops (tests, one-off commands) go round the lanes.
        var nextForeignLane = 0
        var nextAttempt = 0
        var isShutDown = false
    }

    /// A connection for one storage call: open now, or being opened.
    enum Lease {
        case ready(PooledPostgresConnection)
        case pending(EventLoopFuture<PooledPostgresConnection>)
    }

    /// What `lease()` decided under the lock; connecting starts outside it.
    private enum Decision {
        case lease(Lease)
        case open(lane: Int, slot: Int, attempt: Int, EventLoopPromise<PooledPostgresConnection>)
    }

    /// How long opening a connection may take; a query waiting on it is bounded by its own deadline too.
    static let connectTimeout = Duration.seconds(3)

    let address: StorageBackendConfig.ServerAddress
    /// How long one storage call may wait for its answers (see `PooledPostgresConnection`).
    private let callLimit: Duration
    private let locator: PostgresPrimaryLocator
    /// The loops that have a lane of their own, in lane order.
    private let loops: [any EventLoop]
    private let laneOfLoop: [ObjectIdentifier: Int]
    private let logger: Logger
    private let state: Mutex<State>

    /// - Parameter maximumConnections: the connections this pool may open in all. Each loop has
    ///   a lane of `maximumConnections / loops` of them; with more loops than that, loops share
    ///   lanes (a query then answers on its lane's loop and hops back), so a host of many CPUs
    ///   and as many workers does not open loops × workers × connections to the server.
    init(
        address: StorageBackendConfig.ServerAddress, locator: PostgresPrimaryLocator, eventLoopGroup: any EventLoopGroup,
        maximumConnections: Int, callLimit: Duration, logger: Logger
    ) {
        precondition(maximumConnections > 0, "a PostgreSQL connection pool needs at least one connection")
        self.address = address
        self.callLimit = callLimit
        self.locator = locator
        self.logger = logger
        let allLoops = Array(eventLoopGroup.makeIterator())
        loops = Array(allLoops.prefix(maximumConnections))
        var laneOfLoop: [ObjectIdentifier: Int] = [:]
        for (index, loop) in allLoops.enumerated() { laneOfLoop[ObjectIdentifier(loop)] = index % loops.count }
        self.laneOfLoop = laneOfLoop
        let lane = Lane(slots: Array(repeating: .empty, count: maximumConnections / loops.count))
        state = Mutex(State(lanes: Array(repeating: lane, count: loops.count)))
    }

    /// An open connection on the caller's event loop (any loop's, for a caller on none), or the
    /// connection attempt to wait for when its slot is empty: queries that land on a slot while
    /// it connects share that one attempt. Never waits itself, so the caller bounds the wait.
    func lease() throws -> Lease {
        let current = MultiThreadedEventLoopGroup.currentEventLoop.flatMap { laneOfLoop[ObjectIdentifier($0)] }
        let decision = try state.withLock { state throws -> Decision in
            guard !state.isShutDown else { throw PostgresPrimaryUnavailable(reason: "the PostgreSQL client is shut down") }
            let lane: Int
            if let current {
                lane = current
            } else {
                lane = state.nextForeignLane
                state.nextForeignLane = (lane + 1) % state.lanes.count
            }
            let slot = state.lanes[lane].next
            state.lanes[lane].next = (slot + 1) % state.lanes[lane].slots.count
            switch state.lanes[lane].slots[slot] {
            case .ready(let pooled) where !pooled.connection.isClosed:
                return .lease(.ready(pooled))
            case .connecting(_, let future):
                return .lease(.pending(future))
            case .empty, .ready:
                let attempt = state.nextAttempt
                state.nextAttempt += 1
                let promise = loops[lane].makePromise(of: PooledPostgresConnection.self)
                state.lanes[lane].slots[slot] = .connecting(attempt: attempt, promise.futureResult)
                return .open(lane: lane, slot: slot, attempt: attempt, promise)
            }
        }
        switch decision {
        case .lease(let lease):
            return lease
        case .open(let lane, let slot, let attempt, let promise):
            // Registered outside the lock: the callback takes it and may run inline on this loop.
            promise.futureResult.whenComplete { [weak self] result in
                guard let self else {
                    if case .success(let pooled) = result { pooled.connection.close().whenComplete { _ in } }
                    return
                }
                self.attemptFinished(lane: lane, slot: slot, attempt: attempt, result: result)
            }
            let (locator, address, callLimit, logger, loop) = (locator, address, callLimit, logger, loops[lane])
            promise.completeWithTask {
                let connection = try await PostgresConnection.connect(
                    on: loop, configuration: try await locator.configuration(for: address, connectTimeout: Self.connectTimeout),
                    id: attempt, logger: logger)
                return PooledPostgresConnection(connection, callLimit: callLimit)
            }
            return .pending(promise.futureResult)
        }
    }

    /// Runs `body` on a connection no other query uses (a transaction), closed afterwards.
    func withDedicatedConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(
            on: loops[0], configuration: try await locator.configuration(for: address, connectTimeout: Self.connectTimeout), id: -1, logger: logger)
        return try await closing({ try? await connection.close() }) { try await body(connection) }
    }

    /// Closes every connection; queries still queued on them fail, later ones fail at once.
    func shutdown() async {
        let slots = state.withLock { state in
            state.isShutDown = true
            defer { state.lanes = state.lanes.map { Lane(slots: Array(repeating: .empty, count: $0.slots.count)) } }
            return state.lanes.flatMap(\.slots)
        }
        for slot in slots {
            switch slot {
            case .empty:
                break
            case .ready(let pooled):
                try? await pooled.connection.close()
            case .connecting(_, let future):
                // `attemptFinished` closes it too; this waits until it is really closed.
                if let pooled = try? await future.get() { try? await pooled.connection.close() }
            }
        }
    }

    private func attemptFinished(lane: Int, slot: Int, attempt: Int, result: Result<PooledPostgresConnection, any Error>) {
        switch result {
        case .success(let pooled):
            let kept = state.withLock { state in
                guard !state.isShutDown, case .connecting(attempt, _) = state.lanes[lane].slots[slot] else { return false }
                state.lanes[lane].slots[slot] = .ready(pooled)
                return true
            }
            guard kept else {
                pooled.connection.close().whenComplete { _ in }
                return
            }
            pooled.connection.closeFuture.whenComplete { [weak self] _ in
                self?.connectionClosed(lane: lane, slot: slot, id: pooled.connection.id)
            }
        case .failure(let error):
            state.withLock { state in
                if case .connecting(attempt, _) = state.lanes[lane].slots[slot] { state.lanes[lane].slots[slot] = .empty }
            }
            logger.debug("cannot connect to PostgreSQL at \(address): \(PostgresTrouble.reason(error))")
        }
    }

    private func connectionClosed(lane: Int, slot: Int, id: Int) {
        state.withLock { state in
            guard case .ready(let pooled) = state.lanes[lane].slots[slot], pooled.connection.id == id else { return }
            state.lanes[lane].slots[slot] = .empty
        }
    }
}

/// A connection of the pool with the deadlines of the storage calls using it.
///
/// A call that waits past its limit closes the connection: postgres-nio's queries do not
/// heed task cancellation, and a connection whose server stopped answering would hold every
/// later query queued on it. Like a Redis connection's command deadlines, one timer watches the
/// oldest call and is armed again only when it fires, not at every call. The queries queued on
/// the closed connection fail with it and count as a timeout too (the server may be slow, not
/// gone: `PostgresDatabase` asks it before it gives up the pool).
final class PooledPostgresConnection: Sendable {
    let connection: PostgresConnection
    private let callLimit: Duration
    private let calls = Mutex(Calls())

    private struct Calls {
        /// Deadlines of the calls in flight, oldest first, by call number.
        var inFlight = CircularBuffer<(call: UInt64, deadline: NIODeadline)>()
        var nextCall: UInt64 = 0
        var timerArmed = false
        var expired = false
    }

    init(_ connection: PostgresConnection, callLimit: Duration) {
        self.connection = connection
        self.callLimit = callLimit
    }

    /// Whether a call's deadline passed and the connection was closed for it.
    var hasExpired: Bool { calls.withLock { $0.expired } }

    /// Runs `body` as one call that must be answered by `deadline`.
    func call<T>(until deadline: NIODeadline, _ body: () async throws -> T) async throws -> T {
        let (call, arm) = calls.withLock { calls in
            let call = calls.nextCall
            calls.nextCall &+= 1
            calls.inFlight.append((call, deadline))
            defer { calls.timerArmed = true }
            return (call, !calls.timerArmed)
        }
        if arm { armTimer(at: deadline) }
        defer {
            calls.withLock { calls in
                if calls.inFlight.first?.call == call {
                    calls.inFlight.removeFirst()
                } else if let index = calls.inFlight.firstIndex(where: { $0.call == call }) {
                    calls.inFlight.remove(at: index)
                }
            }
        }
        do {
            return try await body()
        } catch where hasExpired {
            throw PostgresCallTimedOut(limit: callLimit)
        }
    }

    private func armTimer(at deadline: NIODeadline) {
        connection.eventLoop.scheduleTask(deadline: deadline) { [weak self] in self?.timerFired() }
    }

    /// Closes the connection if its oldest call is late; otherwise waits for the oldest.
    private func timerFired() {
        enum Next { case expire, wait(NIODeadline), idle }
        let next = calls.withLock { calls -> Next in
            guard let oldest = calls.inFlight.first else {
                calls.timerArmed = false
                return .idle
            }
            guard oldest.deadline <= .now() else { return .wait(oldest.deadline) }
            calls.expired = true
            calls.timerArmed = false
            return .expire
        }
        switch next {
        case .expire: connection.close().whenComplete { _ in }
        case .wait(let deadline): armTimer(at: deadline)
        case .idle: break
        }
    }
}

/// A storage call found no answer on its PostgreSQL connection within its limit.
struct PostgresCallTimedOut: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "no answer within \(limit)" }
}

/// One connection of the pool lent to one storage call, with the methods of `PostgresClient`
/// that the stores use (the logger given once, not at every query).
struct PostgresSession {
    let connection: PostgresConnection
    let logger: Logger

    @discardableResult
    func query(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> PostgresRowSequence {
        try await connection.query(query, logger: logger, file: file, line: line)
    }

    func execute<Statement: PostgresPreparedStatement, Row>(
        _ statement: Statement, file: String = #fileID, line: Int = #line
    ) async throws -> AsyncThrowingMapSequence<PostgresRowSequence, Row> where Row == Statement.Row {
        try await connection.execute(statement, logger: logger, file: file, line: line)
    }

    @_disfavoredOverload
    @discardableResult
    func execute<Statement: PostgresPreparedStatement>(
        _ statement: Statement, file: String = #fileID, line: Int = #line
    ) async throws -> String where Statement.Row == () {
        try await connection.execute(statement, logger: logger, file: file, line: line)
    }
}
