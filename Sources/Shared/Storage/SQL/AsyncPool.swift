import Synchronization

/// A fixed set of resources (SQLite connections) lent one caller at a time, first come first
/// served: waiters suspend instead of blocking a thread.
final class AsyncPool<Resource: Sendable>: Sendable {
    private struct State {
        var idle: [Resource]
        var waiters: [CheckedContinuation<Resource, Never>] = []
    }

    private let state: Mutex<State>

    init(_ resources: [Resource]) {
        precondition(!resources.isEmpty, "a pool needs at least one resource")
        state = Mutex(State(idle: resources))
    }

    func withResource<T: Sendable>(_ body: (Resource) async throws -> T) async rethrows -> T {
        let resource = await acquire()
        defer { release(resource) }
        return try await body(resource)
    }

    private func acquire() async -> Resource {
        if let resource = state.withLock({ $0.idle.popLast() }) { return resource }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Resource, Never>) in
            let resource = state.withLock { state -> Resource? in
                if let resource = state.idle.popLast() { return resource }
                state.waiters.append(continuation)
                return nil
            }
            if let resource { continuation.resume(returning: resource) }
        }
    }

    private func release(_ resource: Resource) {
        let waiter = state.withLock { state -> CheckedContinuation<Resource, Never>? in
            if state.waiters.isEmpty {
                state.idle.append(resource)
                return nil
            }
            return state.waiters.removeFirst()  // straight to the longest waiter
        }
        waiter?.resume(returning: resource)
    }

    /// Every resource, once none is lent (for closing).
    func drain(count: Int) async -> [Resource] {
        var drained: [Resource] = []
        for _ in 0..<count { drained.append(await acquire()) }
        return drained
    }
}
