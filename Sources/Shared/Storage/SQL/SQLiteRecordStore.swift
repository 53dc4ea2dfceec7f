import Foundation
import GRDB

/// A storage group kept in an SQLite file (the embedded default).
package struct SQLiteRecordStore: RecordStore {
    package let group: String
    package let defaultTTL: Int
    let database: SQLiteDatabase

    package init(group: String, defaultTTL: Int, database: SQLiteDatabase) {
        self.group = group
        self.defaultTTL = defaultTTL
        self.database = database
    }

    package func put(_ key: String, _ value: [UInt8], ttl: Int?) async throws {
        try await database.write([putStatement(key, value, ttl: ttl)])
    }

    private func putStatement(_ key: String, _ value: [UInt8], ttl: Int?) -> SQLiteStatement {
        SQLiteStatement(
            """
            INSERT INTO oauth2_records (grp, key, value, expires_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (grp, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
            """,
            [group.databaseValue, key.databaseValue, Data(value).databaseValue, Self.expiry(effectiveTTL(ttl))])
    }

    /// One statement: an expired row counts as absent and is replaced; a live one stays.
    package func insert(_ key: String, _ value: [UInt8], ttl: Int?) async throws -> Bool {
        let rows = try await database.write(
            """
            INSERT INTO oauth2_records (grp, key, value, expires_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (grp, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
            WHERE oauth2_records.expires_at IS NOT NULL AND oauth2_records.expires_at <= ?
            RETURNING 1 AS stored
            """,
            [group.databaseValue, key.databaseValue, Data(value).databaseValue, Self.expiry(effectiveTTL(ttl)),
             StorageClock.nowMilliseconds().databaseValue])
        return !rows.isEmpty
    }

    package func get(_ key: String) async throws -> [UInt8]? {
        try await database.rows(getStatement(key)).first?.bytes("value")
    }

    private func getStatement(_ key: String) -> SQLiteStatement {
        SQLiteStatement(
            "SELECT value FROM oauth2_records WHERE grp = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)",
            [group.databaseValue, key.databaseValue, StorageClock.nowMilliseconds().databaseValue])
    }

    /// Both reads in one trip to a reader connection.
    package func get(_ key: String, unlessMarkedBy marker: RecordMarker) async throws -> [UInt8]? {
        let store = self
        return try await database.read { db in
            guard let value = try store.getStatement(key).run(in: db).first?.bytes("value") else { return nil }
            guard let markerKey = marker.key(for: value) else { return value }
            return try store.getStatement(markerKey).run(in: db).isEmpty ? value : nil
        }
    }

    package func delete(_ key: String) async throws {
        try await database.write("DELETE FROM oauth2_records WHERE grp = ? AND key = ?", [group.databaseValue, key.databaseValue])
    }

    package func take(_ key: String) async throws -> [UInt8]? {
        // One statement: SQLite's write lock makes it atomic across connections and processes.
        let rows = try await database.write(
            "DELETE FROM oauth2_records WHERE grp = ? AND key = ? RETURNING value, expires_at",
            [group.databaseValue, key.databaseValue])
        guard let row = rows.first else { return nil }
        if let expiry = row.integer("expires_at"), expiry <= StorageClock.nowMilliseconds() { return nil }
        return row.bytes("value")
    }

    package func addToIndex(_ index: String, member: String, ttl: Int?) async throws {
        try await database.write([indexStatement(index, member: member, ttl: ttl)])
    }

    private func indexStatement(_ index: String, member: String, ttl: Int?) -> SQLiteStatement {
        SQLiteStatement(
            """
            INSERT INTO oauth2_index (grp, name, member, expires_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (grp, name, member) DO UPDATE SET expires_at = excluded.expires_at
            """,
            [group.databaseValue, index.databaseValue, member.databaseValue, Self.expiry(effectiveTTL(ttl))])
    }

    package func removeFromIndex(_ index: String, member: String) async throws {
        try await database.write(
            "DELETE FROM oauth2_index WHERE grp = ? AND name = ? AND member = ?",
            [group.databaseValue, index.databaseValue, member.databaseValue])
    }

    package func members(ofIndex index: String) async throws -> [String] {
        try await database.rows(
            "SELECT member FROM oauth2_index WHERE grp = ? AND name = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY member",
            [group.databaseValue, index.databaseValue, StorageClock.nowMilliseconds().databaseValue]
        ).compactMap { $0.text("member") }
    }

    package func deleteIndex(_ index: String) async throws {
        try await database.write([deleteIndexStatement(index)])
    }

    private func deleteIndexStatement(_ index: String) -> SQLiteStatement {
        SQLiteStatement("DELETE FROM oauth2_index WHERE grp = ? AND name = ?", [group.databaseValue, index.databaseValue])
    }

    package func put(_ key: String, _ value: [UInt8], ttl: Int?, indexedIn index: String) async throws {
        // One write: the record and its index entry commit together.
        try await database.write([putStatement(key, value, ttl: ttl), indexStatement(index, member: key, ttl: ttl)])
    }

    /// One transaction on the writer: the read sees the write, and no other writer (the
    /// marker's) comes between them; no trip to a reader connection.
    package func put(_ key: String, _ value: [UInt8], ttl: Int?, indexedIn index: String, thenLookFor marker: String) async throws -> Bool {
        let rows = try await database.write([putStatement(key, value, ttl: ttl), indexStatement(index, member: key, ttl: ttl), getStatement(marker)])
        return !rows[2].isEmpty
    }

    package func deleteIndexed(_ index: String) async throws {
        try await database.write([
            SQLiteStatement(
                "DELETE FROM oauth2_records WHERE grp = ? AND key IN (SELECT member FROM oauth2_index WHERE grp = ? AND name = ?)",
                [group.databaseValue, group.databaseValue, index.databaseValue]),
            deleteIndexStatement(index),
        ])
    }

    package func countFailure(_ key: String, now: Int64, window: Int64) async throws -> FailureCount {
        let rows = try await database.write(
            """
            INSERT INTO oauth2_counters (grp, key, count, last_ms, expires_at) VALUES (?, ?, 1, ?, ?)
            ON CONFLICT (grp, key) DO UPDATE SET
                count = CASE WHEN excluded.last_ms - oauth2_counters.last_ms <= ? THEN oauth2_counters.count + 1 ELSE 1 END,
                last_ms = excluded.last_ms, expires_at = excluded.expires_at
            RETURNING count, last_ms
            """,
            [group.databaseValue, key.databaseValue, now.databaseValue, (now + window).databaseValue, window.databaseValue])
        return FailureCount(count: rows.first?.integer("count").map(Int.init) ?? 1, last: rows.first?.integer("last_ms") ?? now)
    }

    package func failures(_ key: String) async throws -> FailureCount? {
        let rows = try await database.rows(
            "SELECT count, last_ms FROM oauth2_counters WHERE grp = ? AND key = ? AND expires_at > ?",
            [group.databaseValue, key.databaseValue, StorageClock.nowMilliseconds().databaseValue])
        guard let row = rows.first, let count = row.integer("count"), let last = row.integer("last_ms") else { return nil }
        return FailureCount(count: Int(count), last: last)
    }

    package func clearFailures(_ key: String) async throws {
        try await database.write("DELETE FROM oauth2_counters WHERE grp = ? AND key = ?", [group.databaseValue, key.databaseValue])
    }

    package func ping() async throws {
        try await database.rows("SELECT 1")
    }

    static func expiry(_ ttl: Int) -> DatabaseValue {
        StorageClock.expiry(afterSeconds: ttl)?.databaseValue ?? .null
    }
}

/// The audit trail in an SQLite file.
package struct SQLiteAuditLog: AuditLog {
    let group: String
    let database: SQLiteDatabase

    package init(group: String, database: SQLiteDatabase) {
        self.group = group
        self.database = database
    }

    package func append(contentsOf records: [AuditRecord]) async throws {
        guard !records.isEmpty else { return }
        func text(_ value: String?) -> DatabaseValue { value?.databaseValue ?? .null }
        // One multi-row INSERT: one statement, one commit for the whole batch. SQLite allows
        // 32766 bound values in a statement, so a batch is written in chunks well below that.
        for chunk in stride(from: 0, to: records.count, by: 500).map({ records[$0..<min($0 + 500, records.count)] }) {
            let rows = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
            try await database.write([SQLiteStatement(
                "INSERT INTO oauth2_audit (grp, at_ms, event, user_id, client_id, scope, token_id, detail) VALUES \(rows)",
                chunk.flatMap { record in
                    [group.databaseValue, record.at.storageMilliseconds.databaseValue, record.event.databaseValue, text(record.userID),
                     text(record.clientID), text(record.scope), text(record.tokenID), text(record.detail)]
                },
                cached: chunk.count == 1)])
        }
    }

    package func purge(before cutoff: Date) async throws -> Int {
        // Batches of 10,000 rows, so a first purge of a long history holds the write lock only
        // briefly at a time.
        var purged = 0
        while true {
            let rows = try await database.write(
                """
                DELETE FROM oauth2_audit WHERE id IN (SELECT id FROM oauth2_audit WHERE grp = ? AND at_ms < ? LIMIT 10000)
                RETURNING 1 AS gone
                """,
                [group.databaseValue, cutoff.storageMilliseconds.databaseValue])
            purged += rows.count
            if rows.count < 10_000 { return purged }
        }
    }

    package func recent(limit: Int) async throws -> [AuditRecord] {
        try await database.rows(
            "SELECT * FROM oauth2_audit WHERE grp = ? ORDER BY id DESC LIMIT ?", [group.databaseValue, limit.databaseValue]
        ).map { row in
            AuditRecord(
                at: .init(timeIntervalSince1970: Double(row.integer("at_ms") ?? 0) / 1000),
                event: row.text("event") ?? "",
                userID: row.text("user_id"), clientID: row.text("client_id"),
                scope: row.text("scope"), tokenID: row.text("token_id"),
                detail: row.text("detail"))
        }
    }
}
