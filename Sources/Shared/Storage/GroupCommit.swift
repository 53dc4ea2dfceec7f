import Synchronization

/// Work of concurrent callers done together: while one batch is being committed, items that
/// arrive queue up and go as the next batch. Every `submit` returns only once its own item is
/// committed (or throws its item's error), so a caller that waits for its item still sees it
/// durable; under load there are far fewer commits than items, and with no load an item is
/// committed at once.
///
/// No task of its own: the caller whose item finds nobody committing leads, committing batches
/// (its own item first) until its item is done, then hands the queue to the oldest waiter.
final class GroupCommit<Item: Sendable, Outcome: Sendable>: Sendable {
    /// Commits a batch; one outcome per item, in order.
    typealias Commit = @Sendable ([Item]) async -> [Result<Outcome, any Error>]

    private enum Turn: Sendable {
        case committed(Outcome)
        case lead
    }

    private struct Waiting {
        let item: Item
        let continuation: CheckedContinuation<Turn, any Error>
    }

    private struct State {
        var queue: [Waiting] = []
        var committing = false
    }

    private let maximumBatch: Int
    private let commit: Commit
    private let state = Mutex(State())

    /// - Parameter maximumBatch: items in one commit at most; the rest wait for the next.
    init(maximumBatch: Int, commit: @escaping Commit) {
        precondition(maximumBatch > 0)
        self.maximumBatch = maximumBatch
        self.commit = commit
    }

    func submit(_ item: Item) async throws -> Outcome {
        let leads = state.withLock { state in
            if state.committing { return false }
            state.committing = true
            return true
        }
        if leads { return try await lead(own: item) }
        let turn = try await withCheckedThrowingContinuation { continuation in
            let leadsNow = state.withLock { state in
                // The leader may have finished between the two locks.
                if state.committing {
                    state.queue.append(Waiting(item: item, continuation: continuation))
                    return false
                }
                state.committing = true
                return true
            }
            if leadsNow { continuation.resume(returning: .lead) }
        }
        switch turn {
        case .committed(let outcome): return outcome
        case .lead: return try await lead(own: item)
        }
    }

    /// Commits `own` with whatever has queued, then hands over; its own error is thrown after
    /// the hand-over, so a failed batch never leaves the queue without a leader.
    private func lead(own: Item) async throws -> Outcome {
        let batch = state.withLock { state in
            let taken = Array(state.queue.prefix(maximumBatch - 1))
            state.queue.removeFirst(taken.count)
            return taken
        }
        let outcomes = await commit([own] + batch.map(\.item))
        precondition(outcomes.count == batch.count + 1, "a commit answers for every item")
        for (waiting, outcome) in zip(batch, outcomes.dropFirst()) {
            switch outcome {
            case .success(let value): waiting.continuation.resume(returning: .committed(value))
            case .failure(let error): waiting.continuation.resume(throwing: error)
            }
        }
        let next = state.withLock { state -> Waiting? in
            if state.queue.isEmpty {
                state.committing = false
                return nil
            }
            return state.queue.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        return try outcomes[0].get()
    }
}
