import Foundation

/// What differs between the SQL engines the storage runs on, and nothing more: how a statement's
/// values are bound and run, what each engine does its own way in one round trip, and the lock
/// that serialises migrations. `SQLRecordStore`, `SQLAuditLog` and `StorageSchema.migrate` are
/// written once over it, for `SQLiteDialect` and `PostgresDialect` (which begin alike, with
/// their database and the engine's constants: the values differ, not the shape).
///
/// The same on both engines, so not here: the text of every single-statement operation (`SQL`:
/// upserts are `INSERT … ON CONFLICT … DO UPDATE`, atomic takes `DELETE … RETURNING`), and time:
/// expiries are Unix milliseconds the caller computes and binds, never the engine's clock.
package protocol SQLDialect: Sendable {
    /// A statement's values, in the engine's own form.
    associatedtype Bindings: SQLBindings
    associatedtype Row: SQLRow

    /// What comes before a parameter's number in the engine's SQL: `$1` or `?1`.
    static var parameterPrefix: String { get }
    /// Audit records one multi-row INSERT carries at most: engines limit the values a statement binds.
    static var auditRecordsPerStatement: Int { get }
    /// The schema's column types that differ: bytes, and an id each new row counts up.
    static var blobType: String { get }
    static var serialPrimaryKey: String { get }

    /// Runs a fixed statement where the engine runs writes (`writes`) or reads; `eachRow` sees
    /// each row it returns (a write's: RETURNING).
    func run<Statement: SQLStatement, each Value: SQLValue>(
        _: Statement.Type, _ values: repeat each Value, writes: Bool, eachRow: (Row) throws -> Void) async throws
    /// Runs a write whose text is built for the call (a multi-row INSERT).
    func write(sql: String, _ values: Bindings) async throws

    // What each engine does its own way (`RecordStore` and `AuditLog` say what each must do).
    func put(group: String, key: String, value: [UInt8], expiry: Int64?, indexedIn index: String) async throws
    func put(group: String, key: String, value: [UInt8], expiry: Int64?, indexedIn index: String, thenLookFor marker: String) async throws -> Bool
    func get(group: String, key: String, unlessMarkedBy marker: RecordMarker) async throws -> [UInt8]?
    func deleteIndexed(group: String, index: String) async throws

    /// Runs `body` in one transaction, on a connection of its own, holding the lock that makes
    /// processes (and hosts) migrating at once apply each step once; commits if `body` returns.
    /// `run` runs a statement there and answers the first column of its first row.
    func withSchemaLock<T: Sendable>(_ body: (_ run: (String) async throws -> Int?) async throws -> T) async throws -> T
}

extension SQLDialect {
    /// The write, then the read, in two trips: a read in the write's own statement would see
    /// the snapshot from before the write, and could miss a marker committed meanwhile.
    package func put(
        group: String, key: String, value: [UInt8], expiry: Int64?, indexedIn index: String, thenLookFor marker: String
    ) async throws -> Bool {
        try await put(group: group, key: key, value: value, expiry: expiry, indexedIn: index)
        return try await read(SQL.Get.self, group, marker, StorageClock.nowMilliseconds(), firstRow: { _ in }) != nil
    }

    /// Two reads, two trips: which marker to read depends on the record.
    package func get(group: String, key: String, unlessMarkedBy marker: RecordMarker) async throws -> [UInt8]? {
        let now = StorageClock.nowMilliseconds()
        guard let value = try await read(SQL.Get.self, group, key, now, firstRow: { try $0.bytes(0) }) ?? nil else { return nil }
        guard let markerKey = marker.key(for: value) else { return value }
        return try await read(SQL.Get.self, group, markerKey, now, firstRow: { _ in }) == nil ? value : nil
    }

    /// Deletes the expired rows of every group in the database: reads ignore them already, this
    /// keeps the database small.
    package func purgeExpired() async throws {
        for table in ["oauth2_records", "oauth2_index", "oauth2_counters"] {
            let condition = table == "oauth2_counters" ? "" : "expires_at IS NOT NULL AND "
            try await write(sql: "DELETE FROM \(table) WHERE \(condition)expires_at <= \(Self.parameterPrefix)1", Self.bind(StorageClock.nowMilliseconds()))
        }
    }

    func write<Statement: SQLStatement, each Value: SQLValue>(_ statement: Statement.Type, _ values: repeat each Value) async throws {
        try await run(statement, repeat each values, writes: true, eachRow: { _ in })
    }

    func write<Statement: SQLStatement, T, each Value: SQLValue>(
        _ statement: Statement.Type, _ values: repeat each Value, firstRow: (Row) throws -> T
    ) async throws -> T? {
        try await first(statement, repeat each values, writes: true, firstRow)
    }

    func read<Statement: SQLStatement, T, each Value: SQLValue>(
        _ statement: Statement.Type, _ values: repeat each Value, firstRow: (Row) throws -> T
    ) async throws -> T? {
        try await first(statement, repeat each values, writes: false, firstRow)
    }

    private func first<Statement: SQLStatement, T, each Value: SQLValue>(
        _ statement: Statement.Type, _ values: repeat each Value, writes: Bool, _ decode: (Row) throws -> T
    ) async throws -> T? {
        var first: T?
        try await run(statement, repeat each values, writes: writes, eachRow: { row in if first == nil { first = try decode(row) } })
        return first
    }

    func read<Statement: SQLStatement, T, each Value: SQLValue>(
        _ statement: Statement.Type, _ values: repeat each Value, eachRow: (Row) throws -> T
    ) async throws -> [T] {
        var rows: [T] = []
        try await run(statement, repeat each values, writes: false, eachRow: { rows.append(try eachRow($0)) })
        return rows
    }

    static func bind<each Value: SQLValue>(_ values: repeat each Value) -> Bindings {
        var count = 0
        for _ in repeat each values { count += 1 }
        var bindings = Bindings(capacity: count)
        bindings.append(repeat each values)
        return bindings
    }
}

/// A statement whose text never changes, so each engine parses it once per connection (GRDB's
/// statement cache, PostgreSQL's prepared statements).
package protocol SQLStatement {
    static var sql: SQLText { get }
}

/// A statement's text, written once with PostgreSQL's numbered parameters (`$1`, `$2` …, where a
/// number may appear twice), which SQLite reads as `?1`, `?2` ….
package struct SQLText: Sendable {
    /// The name PostgreSQL prepares it under.
    let name: String
    let postgres: String
    let sqlite: String

    init(_ name: String, _ sql: String) {
        self.name = "oauth2_" + name
        postgres = sql
        sqlite = sql.replacingOccurrences(of: "$", with: "?")
    }
}

/// Where a statement's values are collected, in the engine's own form.
package protocol SQLBindings {
    init(capacity: Int)
    mutating func append(_ text: String)
    mutating func append(_ bytes: [UInt8])
    mutating func append(_ integer: Int64)
    mutating func appendNull()
}

extension SQLBindings {
    mutating func append<each Value: SQLValue>(_ values: repeat each Value) { repeat (each values).bind(to: &self) }
}

/// A value a statement binds.
package protocol SQLValue {
    func bind<Bindings: SQLBindings>(to bindings: inout Bindings)
}

extension String: SQLValue { package func bind<B: SQLBindings>(to bindings: inout B) { bindings.append(self) } }
extension [UInt8]: SQLValue { package func bind<B: SQLBindings>(to bindings: inout B) { bindings.append(self) } }
extension Int64: SQLValue { package func bind<B: SQLBindings>(to bindings: inout B) { bindings.append(self) } }
extension Int: SQLValue { package func bind<B: SQLBindings>(to bindings: inout B) { bindings.append(Int64(self)) } }
extension Optional: SQLValue where Wrapped: SQLValue {
    package func bind<Bindings: SQLBindings>(to bindings: inout Bindings) {
        if let self { self.bind(to: &bindings) } else { bindings.appendNull() }
    }
}

/// A row a statement returned, read by column position.
package protocol SQLRow {
    func bytes(_ column: Int) throws -> [UInt8]?
    func integer(_ column: Int) throws -> Int64?
    func text(_ column: Int) throws -> String?
}
