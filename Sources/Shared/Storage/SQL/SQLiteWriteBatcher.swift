import GRDB

/// Commits the writes of concurrent callers together, in one trip to GRDB's writer queue. In WAL
/// mode every commit appends each page it changed to the log whole, and the pages a token
/// request changes (the records' and index's B-tree pages) are mostly the same ones: a refresh
/// was ten commits of two or three 4 KiB pages each, and the log grew by 45 MB a second. A
/// batch writes each of those pages once, takes the file's write lock once, and leaves the
/// reader connections to readers.
///
/// A write is one or more statements that commit together (a record and its index entry).
/// Every caller returns only once its write is committed, or throws (`GroupCommit`).
final class SQLiteWriteBatcher: Sendable {
    private let batches: GroupCommit<[SQLiteStatement], [[SQLiteRow]]>

    /// - Parameter maximumBatch: writes in one transaction at most; the rest wait for the next.
    init(pool: DatabasePool, maximumBatch: Int = 128) {
        batches = GroupCommit(maximumBatch: maximumBatch) { writes in
            do {
                return try await pool.writeWithoutTransaction { db in Self.commit(writes, in: db) }
            } catch {
                return writes.map { _ in .failure(error) }
            }
        }
    }

    /// Commits the statements together; each statement's rows (RETURNING) in order.
    func write(_ statements: [SQLiteStatement]) async throws -> [[SQLiteRow]] {
        try await batches.submit(statements)
    }

    /// One transaction for all the writes. If it fails, each write is tried in a transaction of
    /// its own (still on the writer's queue), so a write that cannot be committed fails alone.
    private static func commit(_ writes: [[SQLiteStatement]], in db: Database) -> [Result<[[SQLiteRow]], any Error>] {
        do {
            return try transaction(writes, in: db).map { .success($0) }
        } catch {
            guard writes.count > 1 else { return [.failure(error)] }
            return writes.map { write in Result { try transaction([write], in: db)[0] } }
        }
    }

    private static func transaction(_ writes: [[SQLiteStatement]], in db: Database) throws -> [[[SQLiteRow]]] {
        // A lone statement commits by itself.
        if writes.count == 1, writes[0].count == 1 { return [[try writes[0][0].run(in: db)]] }
        var results: [[[SQLiteRow]]] = []
        results.reserveCapacity(writes.count)
        // IMMEDIATE takes the write lock first: once begun, no statement meets another
        // process's lock midway.
        try db.inTransaction(.immediate) {
            for write in writes { results.append(try write.map { try $0.run(in: db) }) }
            return .commit
        }
        return results
    }
}
