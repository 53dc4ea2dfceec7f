import SQLiteNIO

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
/// Every caller returns only once its write is committed, or throws (`GroupCommit`).
final class SQLiteWriteBatcher: Sendable {
    private let committer: Committer
    private let batches: GroupCommit<[SQLiteStatement], [[SQLiteRow]]>

    /// - Parameter maximumBatch: writes in one transaction at most; the rest wait for the next.
    init(connection: SQLiteConnection, busyRetryLimit: Duration, maximumBatch: Int = 128) {
        let committer = Committer(connection: connection, busyRetryLimit: busyRetryLimit)
        self.committer = committer
        self.batches = GroupCommit(maximumBatch: maximumBatch) { writes in await committer.commit(writes) }
    }

    /// Commits the statements together; each statement's rows (RETURNING) in order.
    func write(_ statements: [SQLiteStatement]) async throws -> [[SQLiteRow]] {
        try await batches.submit(statements)
    }

    func close() async {
        try? await committer.connection.close()
    }

    /// Runs batches of writes on the write connection.
    private struct Committer: Sendable {
        let connection: SQLiteConnection
        let busyRetryLimit: Duration

        /// One transaction for all the writes. If it fails, each write is tried in a transaction
        /// of its own, so a write that cannot be committed fails alone.
        func commit(_ writes: [[SQLiteStatement]]) async -> [Result<[[SQLiteRow]], any Error>] {
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
                return [[try await SQLiteDatabase.retryingWhileBusy(for: busyRetryLimit) { try await run(writes[0][0]) }]]
            }
            // IMMEDIATE takes the write lock first: once begun, no statement meets another
            // process's lock, and a busy BEGIN changed nothing, so it is simply tried again.
            _ = try await SQLiteDatabase.retryingWhileBusy(for: busyRetryLimit) { try await run(SQLiteStatement("BEGIN IMMEDIATE")) }
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

        private func run(_ statement: SQLiteStatement) async throws -> [SQLiteRow] {
            try await SQLiteDatabase.rows(of: connection, statement.sql, statement.binds)
        }
    }
}
