import Logging
import NIOCore
import PostgresNIO

/// PostgreSQL's side of the SQL storage. Every fixed statement is prepared once per connection
/// (`Prepared`): PostgreSQL parses and plans it once instead of on every call. Two writes in one
/// trip are one statement, a data-modifying WITH; a read that follows a write, or depends on a
/// read, is a trip of its own (there is no writer to share a transaction with).
package struct PostgresDialect: SQLDialect {
    let database: PostgresDatabase

    package init(_ database: PostgresDatabase) { self.database = database }

    package static let parameterPrefix = "$"
    /// PostgreSQL binds at most 65,535 values in a statement.
    package static let auditRecordsPerStatement = 8_000
    package static let blobType = "BYTEA"
    package static let serialPrimaryKey = "BIGSERIAL PRIMARY KEY"

    /// Reads and writes alike, on a connection of the pool.
    package func run<Statement: SQLStatement, each Value: SQLValue>(
        _: Statement.Type, _ values: repeat each Value, writes: Bool, eachRow: (PostgresRow) throws -> Void
    ) async throws {
        let statement = Prepared<Statement>(bindings: Self.bind(repeat each values))
        try await database.withClient { client in
            for try await row in try await client.execute(statement) { try eachRow(row) }
        }
    }

    package func write(sql: String, _ values: PostgresBindings) async throws {
        try await database.withClient { try await $0.query(PostgresQuery(unsafeSQL: sql, binds: values)) }
    }

    /// `SQL.Put` and `SQL.AddToIndex` in one statement.
    package func put(group: String, key: String, value: [UInt8], expiry: Int64?, indexedIn index: String) async throws {
        try await write(PutIndexed.self, group, key, value, expiry, index)
    }

    enum PutIndexed: SQLStatement {
        static let sql = SQLText("put_indexed", """
            WITH record AS (\(SQL.Put.sql.postgres))
            INSERT INTO oauth2_index (grp, name, member, expires_at) VALUES ($1, $5, $2, $4)
            ON CONFLICT (grp, name, member) DO UPDATE SET expires_at = excluded.expires_at
            """)
    }

    /// The index, then the records it named, in one statement.
    package func deleteIndexed(group: String, index: String) async throws {
        try await write(DeleteIndexed.self, group, index)
    }

    enum DeleteIndexed: SQLStatement {
        static let sql = SQLText("delete_indexed", """
            WITH members AS (DELETE FROM oauth2_index WHERE grp = $1 AND name = $2 RETURNING member)
            DELETE FROM oauth2_records WHERE grp = $1 AND key IN (SELECT member FROM members)
            """)
    }

    /// An advisory lock, held until the transaction ends, serialises the supervisors of several
    /// hosts starting at once.
    package func withSchemaLock<T: Sendable>(_ body: (_ run: (String) async throws -> Int?) async throws -> T) async throws -> T {
        let logger = Logger(label: "oauth2-postgres-migration")
        return try await database.withDedicatedConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                // An arbitrary, fixed lock id: "oauth2" in ASCII.
                try await connection.query("SELECT pg_advisory_xact_lock(111111116611150)", logger: logger)
                let result = try await body { sql in
                    for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Int.self) {
                        return value
                    }
                    return nil
                }
                try await connection.query("COMMIT", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }
}

/// A fixed statement as postgres-nio prepares it: under its name, the first time it runs on a
/// connection. PostgreSQL infers the values' types from the columns they meet, which are the
/// types they carry (text, bytea, bigint).
struct Prepared<Statement: SQLStatement>: PostgresPreparedStatement {
    static var name: String { Statement.sql.name }
    static var sql: String { Statement.sql.postgres }

    let bindings: PostgresBindings

    func makeBindings() -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}

extension PostgresBindings: SQLBindings {
    package mutating func append(_ text: String) { append(text, context: .default) }
    package mutating func append(_ bytes: [UInt8]) { append(ByteBuffer(bytes: bytes), context: .default) }
    package mutating func append(_ integer: Int64) { append(integer, context: .default) }
}

extension PostgresRow: SQLRow {
    package func bytes(_ column: Int) throws -> [UInt8]? { try cell(column).decode(ByteBuffer?.self).map { Array($0.readableBytesView) } }
    package func integer(_ column: Int) throws -> Int64? { try cell(column).decode(Int64?.self) }
    package func text(_ column: Int) throws -> String? { try cell(column).decode(String?.self) }

    /// The cell of a column, found by walking the row (a few columns).
    private func cell(_ column: Int) -> PostgresCell {
        var cells = makeIterator()
        for _ in 0..<column { _ = cells.next() }
        return cells.next()!
    }
}
