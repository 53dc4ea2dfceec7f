import SQLiteNIO
import Synchronization

/// One statement of a write.
public struct SQLiteStatement: Sendable {
    let sql: String
    let binds: [SQLiteData]

    public init(_ sql: String, _ binds: [SQLiteData] = []) {
        self.sql = sql
        self.binds = binds
    }
}

/// Commits the writes of concurrent callers together, on one connection of their own. In WAL
/// mode every commit appends each page it changed to the log whole, and the pages a token
/// request changes (the records' and index's B-tree pages) are mostly the same ones: a refresh
/// was ten commits of two or three 4 KiB pages each, and the log grew by 45 MB a second. A
/// batch writes each of those pages once, takes the file's write lock once, and leaves the
/// other connections to readers.
///
/// A write is one or more statements that commit together (a record and its index entry).
/// Every caller returns only once its write is committed, or throws. No task of its own: the
/// caller whose write finds nobody writing leads, committing batches (its own first) until its
/// write is done, then hands the queue to the oldest waiter (as `GroupCommitAuditLog` does).
final class SQLiteWriteBatcher: Sendable {
    private enum Turn: Sendable {
        case committed([[SQLiteRow]])
        case lead
    }

    private struct Waiting {
        let write: [SQLiteStatement]
        let continuation: CheckedContinuation<Turn, any Error>
    }

    private struct State {
        var queue: [Waiting] = []
        var writing = false
    }

    private let connection: SQLiteConnection
    private let busyRetryLimit: Duration
    /// Writes in one transaction at most; the rest wait for the next.
    private let maximumBatch: Int
    private let state = Mutex(State())

    init(connection: SQLiteConnection, busyRetryLimit: Duration, maximumBatch: Int = 128) {
        self.connection = connection
        self.busyRetryLimit = busyRetryLimit
        self.maximumBatch = maximumBatch
    }

    /// Commits the statements together; each statement's rows (RETURNING) in order.
    func write(_ statements: [SQLiteStatement]) async throws -> [[SQLiteRow]] {
        let leads = state.withLock { state in
            if state.writing { return false }
            state.writing = true
            return true
        }
        if leads { return try await lead(own: statements) }
        let turn = try await withCheckedThrowingContinuation { continuation in
            let leadsNow = state.withLock { state in
                // The leader may have finished between the two locks.
                if state.writing {
                    state.queue.append(Waiting(write: statements, continuation: continuation))
                    return false
                }
                state.writing = true
                return true
            }
            if leadsNow { continuation.resume(returning: .lead) }
        }
        switch turn {
        case .committed(let rows): return rows
        case .lead: return try await lead(own: statements)
        }
    }

    func close() async {
        try? await connection.close()
    }

    /// Commits `own` with whatever has queued, then hands over; its own error is thrown after
    /// the hand-over, so a failed batch never leaves the queue without a leader.
    private func lead(own: [SQLiteStatement]) async throws -> [[SQLiteRow]] {
        let batch = state.withLock { state in
            let taken = Array(state.queue.prefix(maximumBatch - 1))
            state.queue.removeFirst(taken.count)
            return taken
        }
        let outcomes = await commit([own] + batch.map(\.write))
        for (waiting, outcome) in zip(batch, outcomes.dropFirst()) {
            switch outcome {
            case .success(let rows): waiting.continuation.resume(returning: .committed(rows))
            case .failure(let error): waiting.continuation.resume(throwing: error)
            }
        }
        let next = state.withLock { state -> Waiting? in
            if state.queue.isEmpty {
                state.writing = false
                return nil
            }
            return state.queue.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        return try outcomes[0].get()
    }

    /// One transaction for all the writes. If it fails, each write is tried in a transaction
    /// of its own, so a write that cannot be committed fails alone.
    private func commit(_ writes: [[SQLiteStatement]]) async -> [Result<[[SQLiteRow]], any Error>] {
        do {
            return try await transaction(writes).map { .success($0) }
        } catch {
            guard writes.count > 1 else { return [.failure(error)] }
            var outcomes: [Result<[[SQLiteRow]], any Error>] = []
            for write in writes {
                do {
                    outcomes.append(.success(try await transaction([write])[0]))
                } catch {
                    outcomes.append(.failure(error))
                }
            }
            return outcomes
        }
    }

    private func transaction(_ writes: [[SQLiteStatement]]) async throws -> [[[SQLiteRow]]] {
        // A lone statement commits by itself: no BEGIN and COMMIT trips to the thread pool.
        if writes.count == 1, writes[0].count == 1 {
            return [[try await retryingWhileBusy { try await self.run(writes[0][0]) }]]
        }
        // IMMEDIATE takes the write lock first: once begun, no statement meets another
        // process's lock, and a busy BEGIN changed nothing, so it is simply tried again.
        _ = try await retryingWhileBusy { try await self.run(SQLiteStatement("BEGIN IMMEDIATE")) }
        do {
            var results: [[[SQLiteRow]]] = []
            results.reserveCapacity(writes.count)
            for write in writes {
                var rows: [[SQLiteRow]] = []
                for statement in write { rows.append(try await run(statement)) }
                results.append(rows)
            }
            _ = try await run(SQLiteStatement("COMMIT"))
            return results
        } catch {
            _ = try? await run(SQLiteStatement("ROLLBACK"))
            throw error
        }
    }

    private func retryingWhileBusy(_ operation: () async throws -> [SQLiteRow]) async throws -> [SQLiteRow] {
        let deadline = ContinuousClock.now + busyRetryLimit
        var pause = Duration.microseconds(20)
        while true {
            do {
                return try await operation()
            } catch let error as SQLiteError where SQLiteDatabase.isBusy(error) && ContinuousClock.now < deadline {
                // Another process holds the write lock; what met SQLITE_BUSY changed nothing.
                try await SQLiteDatabase.pause(pause)
                pause = min(pause * 2, .milliseconds(2))
            }
        }
    }

    private func run(_ statement: SQLiteStatement) async throws -> [SQLiteRow] {
        try await SQLiteDatabase.rows(of: connection, statement.sql, statement.binds)
    }
}
