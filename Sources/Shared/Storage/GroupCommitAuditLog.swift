import Synchronization

/// Writes the audit records of concurrent requests together: while one batch is being written,
/// records that arrive queue up and go out as the next batch, in one statement. Every `append`
/// returns only once its own record is stored (or throws if its batch failed), so a response
/// that waits for its audit record still leaves only after the record is durable; under load
/// there are far fewer statements than records, and with no load a record is written at once.
///
/// No task of its own: the caller whose record starts an idle queue writes batches (its own
/// first) until its record is stored, then hands the queue to the oldest waiter, if any.
public final class GroupCommitAuditLog: AuditLog {
    private enum Turn: Sendable {
        /// Your record is stored.
        case stored
        /// Your record is still queued and nobody is writing: write the queue.
        case lead
    }

    private struct Waiting {
        let records: [AuditRecord]
        let continuation: CheckedContinuation<Turn, any Error>
    }

    private struct State {
        var queue: [Waiting] = []
        var writing = false
    }

    private let base: any AuditLog
    /// Records in one statement at most; the rest wait for the next.
    private let maximumBatch: Int
    private let state = Mutex(State())

    public init(_ base: any AuditLog, maximumBatch: Int = 256) {
        self.base = base
        self.maximumBatch = maximumBatch
    }

    public func append(contentsOf records: [AuditRecord]) async throws {
        guard !records.isEmpty else { return }
        let leads = state.withLock { state in
            if state.writing { return false }
            state.writing = true
            return true
        }
        if leads {
            try await lead(own: records)
            return
        }
        let turn = try await withCheckedThrowingContinuation { continuation in
            let leadsNow = state.withLock { state in
                // The writer may have finished between the two locks.
                if state.writing {
                    state.queue.append(Waiting(records: records, continuation: continuation))
                    return false
                }
                state.writing = true
                return true
            }
            if leadsNow { continuation.resume(returning: .lead) }
        }
        if case .lead = turn { try await lead(own: records) }
    }

    public func recent(limit: Int) async throws -> [AuditRecord] {
        try await base.recent(limit: limit)
    }

    /// Writes `own` with whatever has queued, then hands over. Its own error is thrown after
    /// the hand-over, so a failed batch never leaves the queue without a writer.
    private func lead(own: [AuditRecord]) async throws {
        let batch = state.withLock { state in takeBatch(from: &state, room: maximumBatch - own.count) }
        var failure: (any Error)?
        do {
            try await base.append(contentsOf: own + batch.flatMap(\.records))
        } catch {
            failure = error
        }
        for waiting in batch {
            if let failure { waiting.continuation.resume(throwing: failure) } else { waiting.continuation.resume(returning: .stored) }
        }
        let next = state.withLock { state -> Waiting? in
            if state.queue.isEmpty {
                state.writing = false
                return nil
            }
            return state.queue.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        if let failure { throw failure }
    }

    private func takeBatch(from state: inout State, room: Int) -> [Waiting] {
        var count = 0
        var taken = 0
        for waiting in state.queue {
            guard count + waiting.records.count <= room else { break }
            count += waiting.records.count
            taken += 1
        }
        let batch = Array(state.queue.prefix(taken))
        state.queue.removeFirst(taken)
        return batch
    }
}
