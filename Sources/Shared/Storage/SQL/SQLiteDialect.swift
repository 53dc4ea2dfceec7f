import Foundation
import GRDB

/// SQLite's side of the SQL storage. Writes go to the write batcher, which commits the writes of
/// concurrent callers in one transaction begun `IMMEDIATE` (the file's write lock first, so no
/// statement meets another process's lock midway); the statements of one write commit together,
/// which is how SQLite makes two writes, or a write and the read after it, one trip. Reads go to
/// a reader connection (WAL mode: they never wait for the writer).
package struct SQLiteDialect: SQLDialect {
    let database: SQLiteDatabase

    package init(_ database: SQLiteDatabase) { self.database = database }

    package static let parameterPrefix = "?"
    /// SQLite binds at most 32,766 values in a statement.
    package static let auditRecordsPerStatement = 500
    package static let blobType = "BLOB"
    package static let serialPrimaryKey = "INTEGER PRIMARY KEY AUTOINCREMENT"

    private static func statement<Statement: SQLStatement, each Value: SQLValue>(
        _: Statement.Type, _ values: repeat each Value
    ) -> SQLiteStatement {
        SQLiteStatement(Statement.sql.sqlite, bind(repeat each values))
    }

    package func run<Statement: SQLStatement, each Value: SQLValue>(
        _: Statement.Type, _ values: repeat each Value, writes: Bool, eachRow: (SQLiteRow) throws -> Void
    ) async throws {
        let statement = Self.statement(Statement.self, repeat each values)
        for row in try await writes ? database.write([statement])[0] : database.rows(statement) { try eachRow(row) }
    }

    package func write(sql: String, _ values: [DatabaseValue]) async throws {
        // Not kept in the statement cache: the text changes with the number of rows.
        try await database.write([SQLiteStatement(sql, values, cached: false)])
    }

    /// One write: the record and its index entry commit together.
    package func put(group: String, key: String, value: [UInt8], expiry: Int64?, indexedIn index: String) async throws {
        try await database.write([
            Self.statement(SQL.Put.self, group, key, value, expiry), Self.statement(SQL.AddToIndex.self, group, index, key, expiry),
        ])
    }

    /// One transaction on the writer: the read sees the write, and no other writer (the
    /// marker's) comes between them; no trip to a reader connection.
    package func put(
        group: String, key: String, value: [UInt8], expiry: Int64?, indexedIn index: String, thenLookFor marker: String
    ) async throws -> Bool {
        let rows = try await database.write([
            Self.statement(SQL.Put.self, group, key, value, expiry), Self.statement(SQL.AddToIndex.self, group, index, key, expiry),
            Self.statement(SQL.Get.self, group, marker, StorageClock.nowMilliseconds()),
        ])
        return !rows[2].isEmpty
    }

    /// Both reads in one trip to a reader connection.
    package func get(group: String, key: String, unlessMarkedBy marker: RecordMarker) async throws -> [UInt8]? {
        let now = StorageClock.nowMilliseconds()
        return try await database.read { db in
            guard let value = try Self.statement(SQL.Get.self, group, key, now).run(in: db).first?.bytes(0) else { return nil }
            guard let markerKey = marker.key(for: value) else { return value }
            return try Self.statement(SQL.Get.self, group, markerKey, now).run(in: db).isEmpty ? value : nil
        }
    }

    /// The records, then the index, in one write: SQLite has no data-modifying WITH.
    package func deleteIndexed(group: String, index: String) async throws {
        try await database.write([
            SQLiteStatement(
                "DELETE FROM oauth2_records WHERE grp = ? AND key IN (SELECT member FROM oauth2_index WHERE grp = ? AND name = ?)",
                Self.bind(group, group, index)),
            Self.statement(SQL.DeleteIndex.self, group, index),
        ])
    }

    /// `BEGIN IMMEDIATE` takes the file's write lock first. On a connection of its own, as the
    /// transaction spans the migration's asynchronous steps, which the pool's connections refuse.
    package func withSchemaLock<T: Sendable>(_ body: (_ run: (String) async throws -> Int?) async throws -> T) async throws -> T {
        var configuration = Configuration()
        configuration.busyMode = SQLiteBusyWait.mode
        configuration.allowsUnsafeTransactions = true
        let path = database.path
        let queue = try await Task.detached { try DatabaseQueue(path: path, configuration: configuration) }.value
        defer { try? queue.close() }
        let run = { @Sendable (sql: String) in try await queue.writeWithoutTransaction { try Int.fetchOne($0, sql: sql) } }
        _ = try await run("BEGIN IMMEDIATE")
        do {
            let result = try await body(run)
            _ = try await run("COMMIT")
            return result
        } catch {
            _ = try? await run("ROLLBACK")
            throw error
        }
    }
}

extension [DatabaseValue]: SQLBindings {
    package init(capacity: Int) {
        self.init()
        reserveCapacity(capacity)
    }

    package mutating func append(_ text: String) { append(text.databaseValue) }
    package mutating func append(_ bytes: [UInt8]) { append(Data(bytes).databaseValue) }
    package mutating func append(_ integer: Int64) { append(integer.databaseValue) }
    package mutating func appendNull() { append(.null) }
}

extension SQLiteRow: SQLRow {}
