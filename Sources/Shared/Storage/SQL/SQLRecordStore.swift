/// A storage group kept in an SQL database: `RecordStore` written once, over the engine's
/// `SQLDialect`. A protocol with its one implementation in an extension, not a generic struct: a
/// store is called through `any RecordStore`, where a generic struct's methods run unspecialized
/// (the dialect behind a witness table on every call); each conforming struct's are compiled for
/// its own dialect. So the two structs below are alike but for their dialect, as are the audit logs'.
package protocol SQLRecordStore: RecordStore {
    associatedtype Dialect: SQLDialect
    var dialect: Dialect { get }
}

/// A storage group kept in an SQLite file (the embedded default).
package struct SQLiteRecordStore: SQLRecordStore {
    package let group: String
    package let defaultTTL: Int
    package let dialect: SQLiteDialect

    package init(group: String, defaultTTL: Int, database: SQLiteDatabase) {
        (self.group, self.defaultTTL, dialect) = (group, defaultTTL, SQLiteDialect(database))
    }
}

/// A storage group kept in PostgreSQL.
package struct PostgresRecordStore: SQLRecordStore {
    package let group: String
    package let defaultTTL: Int
    package let dialect: PostgresDialect

    package init(group: String, defaultTTL: Int, database: PostgresDatabase) {
        (self.group, self.defaultTTL, dialect) = (group, defaultTTL, PostgresDialect(database))
    }
}

extension SQLRecordStore {
    /// A write's expiry in Unix milliseconds, nil for none.
    private func expiry(_ ttl: Int?) -> Int64? { StorageClock.expiry(afterSeconds: effectiveTTL(ttl)) }
    private var now: Int64 { StorageClock.nowMilliseconds() }

    package func put(_ key: String, _ value: [UInt8], ttl: Int?) async throws { try await dialect.write(SQL.Put.self, group, key, value, expiry(ttl)) }
    package func delete(_ key: String) async throws { try await dialect.write(SQL.Delete.self, group, key) }
    package func deleteIndex(_ index: String) async throws { try await dialect.write(SQL.DeleteIndex.self, group, index) }
    package func deleteIndexed(_ index: String) async throws { try await dialect.deleteIndexed(group: group, index: index) }
    package func clearFailures(_ key: String) async throws { try await dialect.write(SQL.ClearFailures.self, group, key) }
    package func ping() async throws { try await dialect.run(SQL.Ping.self, writes: false, eachRow: { _ in }) }

    package func insert(_ key: String, _ value: [UInt8], ttl: Int?) async throws -> Bool {
        try await dialect.write(SQL.Insert.self, group, key, value, expiry(ttl), now, firstRow: { _ in }) != nil
    }

    package func get(_ key: String) async throws -> [UInt8]? {
        try await dialect.read(SQL.Get.self, group, key, now, firstRow: { try $0.bytes(0) }) ?? nil
    }

    package func get(_ key: String, unlessMarkedBy marker: RecordMarker) async throws -> [UInt8]? {
        try await dialect.get(group: group, key: key, unlessMarkedBy: marker)
    }

    package func take(_ key: String) async throws -> [UInt8]? {
        let taken = try await dialect.write(SQL.Take.self, group, key, firstRow: { (try $0.bytes(0), try $0.integer(1)) })
        guard case let (value, expiry)? = taken, expiry.map({ $0 > now }) ?? true else { return nil }
        return value
    }

    package func addToIndex(_ index: String, member: String, ttl: Int?) async throws {
        try await dialect.write(SQL.AddToIndex.self, group, index, member, expiry(ttl))
    }

    package func removeFromIndex(_ index: String, member: String) async throws {
        try await dialect.write(SQL.RemoveFromIndex.self, group, index, member)
    }

    package func members(ofIndex index: String) async throws -> [String] {
        try await dialect.read(SQL.Members.self, group, index, now, eachRow: { try $0.text(0) ?? "" })
    }

    package func put(_ key: String, _ value: [UInt8], ttl: Int?, indexedIn index: String) async throws {
        try await dialect.put(group: group, key: key, value: value, expiry: expiry(ttl), indexedIn: index)
    }

    package func put(_ key: String, _ value: [UInt8], ttl: Int?, indexedIn index: String, thenLookFor marker: String) async throws -> Bool {
        try await dialect.put(group: group, key: key, value: value, expiry: expiry(ttl), indexedIn: index, thenLookFor: marker)
    }

    package func countFailure(_ key: String, now: Int64, window: Int64) async throws -> FailureCount {
        try await dialect.write(SQL.CountFailure.self, group, key, now, now + window, window, firstRow: { row in
            FailureCount(count: Int(try row.integer(0) ?? 1), last: try row.integer(1) ?? now)
        }) ?? FailureCount(count: 1, last: now)
    }

    package func failures(_ key: String) async throws -> FailureCount? {
        try await dialect.read(SQL.Failures.self, group, key, now, firstRow: { row in
            FailureCount(count: Int(try row.integer(0) ?? 0), last: try row.integer(1) ?? 0)
        })
    }
}
