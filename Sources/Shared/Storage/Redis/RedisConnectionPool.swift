import Logging
import NIOCore
import Synchronization
import SharedPlatform

/// A fixed number of slots, each holding at most one connection, handed out round robin.
/// A slot whose connection failed or was lost is refilled lazily by the next command that lands
/// on it, so the pool heals by itself once Redis is back and costs nothing while idle.
final class RedisConnectionPool: Sendable {
    private enum Slot {
        case empty
        case connecting(attempt: UInt64, EventLoopFuture<RedisConnection>)
        case ready(RedisConnection)
    }

    private struct State {
        var slots: [Slot]
        var nextSlot = 0
        var nextAttempt: UInt64 = 0
        var isShutDown = false
        /// Whether the last connection attempt failed (Redis down, or refusing AUTH/SELECT): log
        /// each change once, not once per command while it lasts.
        var isUnreachable = false
    }

    /// What `connection()` decided under the lock; the connecting and waiting happen outside it.
    private enum Lease {
        case ready(RedisConnection)
        case wait(EventLoopFuture<RedisConnection>)
        case open(slot: Int, attempt: UInt64, EventLoopPromise<RedisConnection>)
    }

    /// Everything but the address, which comes from `locator` at each connection.
    private let settings: RedisConnection.Settings
    private let locator: RedisPrimaryLocator
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let state: Mutex<State>

    init(settings: RedisConnection.Settings, locator: RedisPrimaryLocator, size: Int, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        precondition(size > 0, "a Redis connection pool needs at least one connection")
        self.settings = settings
        self.locator = locator
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.state = Mutex(State(slots: Array(repeating: .empty, count: size)))
    }

    deinit {
        // Normally `shutdown()` has emptied the slots; this only keeps a client that was dropped
        // without it from leaving sockets open.
        state.withLock { state in
            for case .ready(let connection) in state.slots {
                connection.close()
            }
        }
    }

    /// A ready connection from the next slot, connecting it first if needed. Commands that land
    /// on a slot while it connects share that one attempt.
    func connection() async throws(RedisClientError) -> RedisConnection {
        let lease = try state.withLock { state throws(RedisClientError) -> Lease in
            guard !state.isShutDown else {
                throw RedisClientError(kind: .unavailable, message: "the Redis client is shut down")
            }
            let index = state.nextSlot
            state.nextSlot = (index + 1) % state.slots.count
            switch state.slots[index] {
            case .ready(let connection) where connection.isActive:
                return .ready(connection)
            case .connecting(_, let future):
                return .wait(future)
            case .empty, .ready:
                let attempt = state.nextAttempt
                state.nextAttempt += 1
                let promise = eventLoopGroup.next().makePromise(of: RedisConnection.self)
                state.slots[index] = .connecting(attempt: attempt, promise.futureResult)
                return .open(slot: index, attempt: attempt, promise)
            }
        }
        let future: EventLoopFuture<RedisConnection>
        switch lease {
        case .ready(let connection):
            return connection
        case .wait(let pending):
            future = pending
        case .open(let slot, let attempt, let promise):
            // Callbacks are registered outside the lock: they take it themselves and may run
            // inline when the caller happens to be on the event loop.
            promise.futureResult.whenComplete { [weak self] result in
                guard let self else {
                    // The client was dropped without `shutdown()`: nobody will use this connection.
                    if case .success(let connection) = result { connection.close() }
                    return
                }
                self.attemptFinished(slot: slot, attempt: attempt, result: result)
            }
            let (settings, locator, eventLoop) = (settings, locator, promise.futureResult.eventLoop)
            promise.completeWithTask {
                let address = try await locator.primary(on: eventLoop)
                var settings = settings
                settings.host = address.host
                settings.port = address.port
                return try await RedisConnection.connect(id: attempt, settings: settings, on: eventLoop).get()
            }
            future = promise.futureResult
        }
        do {
            return try await future.get()
        } catch let error as RedisClientError {
            throw error
        } catch {
            throw RedisClientError(kind: .unavailable, message: "cannot connect to \(locator.description): \(error)")
        }
    }

    /// A connection that reached a server that is no longer the primary (`READONLY` after a
    /// failover): closed, and the next one asks where the primary is.
    func discard(_ connection: RedisConnection) {
        locator.forget()
        connection.close()
    }

    /// The primary moved (a sentinel said so): every connection is closed, commands waiting on
    /// them fail with `unavailable`, and the next ones connect to wherever the sentinels say.
    func reconnectAll() {
        locator.forget()
        let ready = state.withLock { state in
            state.slots.compactMap { slot -> RedisConnection? in
                if case .ready(let connection) = slot { return connection }
                return nil
            }
        }
        for connection in ready { connection.close() }
    }

    /// Closes every connection; commands still waiting fail with `unavailable`, later ones too.
    func shutdown() async {
        let slots = state.withLock { state in
            state.isShutDown = true
            let slots = state.slots
            state.slots = Array(repeating: .empty, count: slots.count)
            return slots
        }
        for slot in slots {
            switch slot {
            case .empty:
                break
            case .ready(let connection):
                try? await connection.close().get()
            case .connecting(_, let future):
                // `attemptFinished` also closes it, but shutdown waits until it is really closed.
                if let connection = try? await future.get() {
                    try? await connection.close().get()
                }
            }
        }
    }

    private func attemptFinished(slot: Int, attempt: UInt64, result: Result<RedisConnection, any Error>) {
        switch result {
        case .success(let connection):
            let (kept, wasUnreachable) = state.withLock { state in
                let wasUnreachable = state.isUnreachable
                state.isUnreachable = false
                guard !state.isShutDown, case .connecting(attempt, _) = state.slots[slot] else {
                    return (false, wasUnreachable)
                }
                state.slots[slot] = .ready(connection)
                return (true, wasUnreachable)
            }
            guard kept else {
                connection.close()
                return
            }
            if wasUnreachable {
                logger.notice("Redis at \(locator.description) is reachable again")
            }
            logger.debug("connected to Redis at \(locator.description) (slot \(slot))")
            connection.closeFuture.whenComplete { [weak self] _ in
                self?.connectionClosed(slot: slot, id: connection.id)
            }
        case .failure(let error):
            locator.forget()
            let becameUnreachable = state.withLock { state in
                if case .connecting(attempt, _) = state.slots[slot] {
                    state.slots[slot] = .empty
                }
                let wasReachable = !state.isUnreachable
                state.isUnreachable = true
                return wasReachable
            }
            if becameUnreachable {
                logger.warning("\(error); commands fail until a connection succeeds")
            } else {
                logger.debug("still no connection: \(error)")
            }
        }
    }

    private func connectionClosed(slot: Int, id: UInt64) {
        let wasInUse = state.withLock { state in
            guard case .ready(let connection) = state.slots[slot], connection.id == id else { return false }
            state.slots[slot] = .empty
            return true
        }
        if wasInUse {
            // Lost (a server gone, a failover): with Sentinel, where the primary is gets asked again.
            locator.forget()
            logger.debug("connection to Redis at \(locator.description) closed (slot \(slot)); reconnecting on demand")
        }
    }
}
