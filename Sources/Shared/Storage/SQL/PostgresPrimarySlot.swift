import PostgresNIO
import Synchronization
import SharedPlatform

/// Which pool serves queries now, and the trouble queries have met on it. `PostgresDatabase`'s
/// run loop puts a pool here once it has found the primary, and waits here until a query's
/// failure says the pool may have to go; queries take the pool from here.
final class PostgresPrimarySlot: Sendable {
    /// A pool connected to the primary, numbered so that trouble met on an older pool (its
    /// queries fail while it closes) is not taken for trouble with this one.
    struct Pool: Sendable {
        let connections: PostgresConnectionPool
        var address: StorageBackendConfig.ServerAddress { connections.address }
        let generation: Int
    }

    private struct State {
        var pool: Pool?
        /// Why there is no pool, once a search for the primary has failed.
        var unavailable: String?
        var waiting: [Int: CheckedContinuation<Pool, any Error>] = [:]
        var nextWaiter = 0
        /// The worst trouble reported on the current pool and not yet looked at.
        var trouble: PostgresTrouble?
        /// `suspect` reports before this instant are dropped: the server answered a check then.
        var quietUntil = ContinuousClock.now
        /// The run loop, waiting for trouble.
        var watcher: CheckedContinuation<PostgresTrouble?, Never>?
        var stopped = false
    }

    /// Whether a query fails at once while a search has failed and none has succeeded since
    /// (serving pools: a request answers 503 at once rather than after its timeout), or waits
    /// for the primary (one-off clients: a migration waits for a database that is starting).
    private let failFast: Bool
    private let state = Mutex(State())

    init(failFast: Bool) {
        self.failFast = failFast
    }

    /// The pool serving now, if any (no waiting).
    var current: Pool? { state.withLock { $0.pool } }

    /// The pool to query; waits while the primary is being looked for (the caller bounds the wait).
    func pool() async throws -> Pool {
        if let pool = state.withLock({ $0.pool }) { return pool }
        enum Next { case ready(Pool), fail(any Error), wait }
        let id = state.withLock { $0.nextWaiter += 1; return $0.nextWaiter }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let next = state.withLock { state -> Next in
                    if let pool = state.pool { return .ready(pool) }
                    if state.stopped { return .fail(PostgresPrimaryUnavailable(reason: "the PostgreSQL client is shut down")) }
                    if Task.isCancelled { return .fail(CancellationError()) }
                    if failFast, let reason = state.unavailable { return .fail(PostgresPrimaryUnavailable(reason: reason)) }
                    state.waiting[id] = continuation
                    return .wait
                }
                switch next {
                case .ready(let pool): continuation.resume(returning: pool)
                case .fail(let error): continuation.resume(throwing: error)
                case .wait: break
                }
            }
        } onCancel: {
            state.withLock { $0.waiting.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    /// The primary was found: queries go to `pool` from now on.
    func serve(_ pool: Pool) {
        let waiting = state.withLock { state in
            state.pool = pool
            state.unavailable = nil
            state.trouble = nil
            defer { state.waiting = [:] }
            return state.waiting.values
        }
        for continuation in waiting { continuation.resume(returning: pool) }
    }

    /// The current pool goes; queries wait for the next search (failing at once only if it fails).
    func withdraw() {
        state.withLock { state in
            state.pool = nil
            state.unavailable = nil
        }
    }

    /// A search found no primary; says why to queries that wait, and (failing fast) to those that come.
    func searchFailed(_ reason: String) {
        let waiting = state.withLock { state -> [CheckedContinuation<Pool, any Error>] in
            state.unavailable = reason
            guard failFast else { return [] }
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for continuation in waiting { continuation.resume(throwing: PostgresPrimaryUnavailable(reason: reason)) }
    }

    /// A query on the pool of `generation` met `trouble`.
    func report(_ trouble: PostgresTrouble, generation: Int) {
        let watcher = state.withLock { state -> CheckedContinuation<PostgresTrouble?, Never>? in
            guard state.pool?.generation == generation else { return nil }
            if trouble == .suspect && ContinuousClock.now < state.quietUntil { return nil }
            state.trouble = max(state.trouble ?? trouble, trouble)
            guard let watcher = state.watcher else { return nil }
            state.watcher = nil
            defer { state.trouble = nil }
            return watcher
        }
        watcher?.resume(returning: trouble)
    }

    /// Drops `suspect` reports for `duration`: the server has just answered a check.
    func quiet(for duration: Duration) {
        state.withLock { state in
            state.quietUntil = .now + duration
            if state.trouble == .suspect { state.trouble = nil }
        }
    }

    /// The next trouble reported on the current pool; nil once the caller is cancelled.
    func nextTrouble() async -> PostgresTrouble? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> PostgresTrouble?? in
                    if Task.isCancelled { return .some(nil) }
                    if let trouble = state.trouble {
                        state.trouble = nil
                        return .some(trouble)
                    }
                    state.watcher = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            state.withLock { state in defer { state.watcher = nil }; return state.watcher }?.resume(returning: nil)
        }
    }

    /// No more pools: waiting queries and later ones fail.
    func stop() {
        let waiting = state.withLock { state in
            state.stopped = true
            state.pool = nil
            defer { state.waiting = [:] }
            return state.waiting.values
        }
        for continuation in waiting {
            continuation.resume(throwing: PostgresPrimaryUnavailable(reason: "the PostgreSQL client is shut down"))
        }
    }
}

/// No PostgreSQL primary to send a query to: none of the hosts takes writes, or none answers.
struct PostgresPrimaryUnavailable: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
