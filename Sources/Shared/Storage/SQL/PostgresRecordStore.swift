import Foundation
import NIOCore
import PostgresNIO

/// A storage group kept in PostgreSQL.
package struct PostgresRecordStore: RecordStore {
    package let group: String
    package let defaultTTL: Int
    let database: PostgresDatabase

    package init(group: String, defaultTTL: Int, database: PostgresDatabase) {
        self.group = group
        self.defaultTTL = defaultTTL
        self.database = database
    }

    package func put(_ key: String, _ value: [UInt8], ttl: Int?) async throws {
        let expiry = StorageClock.expiry(afterSeconds: effectiveTTL(ttl))
        try await database.withClient { client in
            for try await _ in try await client.execute(
                PostgresStatements.Put(group: group, key: key, value: ByteBuffer(bytes: value), expiry: expiry)) {}
        }
    }

    /// One statement: an expired row counts as absent and is replaced; a live one stays.
    package func insert(_ key: String, _ value: [UInt8], ttl: Int?) async throws -> Bool {
        let expiry = StorageClock.expiry(afterSeconds: effectiveTTL(ttl))
        return try await database.withClient { client in
            let rows = try await client.query("""
                INSERT INTO oauth2_records (grp, key, value, expires_at) VALUES (\(group), \(key), \(ByteBuffer(bytes: value)), \(expiry))
                ON CONFLICT (grp, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
                WHERE oauth2_records.expires_at IS NOT NULL AND oauth2_records.expires_at <= \(StorageClock.nowMilliseconds())
                RETURNING 1
                """)
            for try await _ in rows { return true }
            return false
        }
    }

    package func get(_ key: String) async throws -> [UInt8]? {
        return try await database.withClient { client in
            let rows = try await client.execute(PostgresStatements.Get(group: group, key: key, now: StorageClock.nowMilliseconds()))
            for try await value in rows { return Array(value.readableBytesView) }
            return nil
        }
    }

    package func delete(_ key: String) async throws {
        try await database.withClient { client in
            try await client.query("DELETE FROM oauth2_records WHERE grp = \(group) AND key = \(key)")
        }
    }

    package func take(_ key: String) async throws -> [UInt8]? {
        return try await database.withClient { client in
            for try await (value, expiry) in try await client.execute(PostgresStatements.Take(group: group, key: key)) {
                if let expiry, expiry <= StorageClock.nowMilliseconds() { return nil }
                return Array(value.readableBytesView)
            }
            return nil
        }
    }

    package func addToIndex(_ index: String, member: String, ttl: Int?) async throws {
        let expiry = StorageClock.expiry(afterSeconds: effectiveTTL(ttl))
        try await database.withClient { client in
            for try await _ in try await client.execute(
                PostgresStatements.AddToIndex(group: group, index: index, member: member, expiry: expiry)) {}
        }
    }

    package func removeFromIndex(_ index: String, member: String) async throws {
        try await database.withClient { client in
            try await client.query("DELETE FROM oauth2_index WHERE grp = \(group) AND name = \(index) AND member = \(member)")
        }
    }

    package func members(ofIndex index: String) async throws -> [String] {
        let now = StorageClock.nowMilliseconds()
        return try await database.withClient { client in
            let rows = try await client.query("""
                SELECT member FROM oauth2_index
                WHERE grp = \(group) AND name = \(index) AND (expires_at IS NULL OR expires_at > \(now)) ORDER BY member
                """)
            var members: [String] = []
            for try await member in rows.decode(String.self) { members.append(member) }
            return members
        }
    }

    package func deleteIndex(_ index: String) async throws {
        try await database.withClient { client in
            try await client.query("DELETE FROM oauth2_index WHERE grp = \(group) AND name = \(index)")
        }
    }

    package func put(_ key: String, _ value: [UInt8], ttl: Int?, indexedIn index: String) async throws {
        let expiry = StorageClock.expiry(afterSeconds: effectiveTTL(ttl))
        // Two writes in one statement (a data-modifying WITH): one round trip.
        try await database.withClient { client in
            try await client.query("""
                WITH record AS (
                    INSERT INTO oauth2_records (grp, key, value, expires_at) VALUES (\(group), \(key), \(ByteBuffer(bytes: value)), \(expiry))
                    ON CONFLICT (grp, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at)
                INSERT INTO oauth2_index (grp, name, member, expires_at) VALUES (\(group), \(index), \(key), \(expiry))
                ON CONFLICT (grp, name, member) DO UPDATE SET expires_at = excluded.expires_at
                """)
        }
    }

    package func deleteIndexed(_ index: String) async throws {
        try await database.withClient { client in
            try await client.query("""
                WITH members AS (DELETE FROM oauth2_index WHERE grp = \(group) AND name = \(index) RETURNING member)
                DELETE FROM oauth2_records WHERE grp = \(group) AND key IN (SELECT member FROM members)
                """)
        }
    }

    package func countFailure(_ key: String, now: Int64, window: Int64) async throws -> FailureCount {
        return try await database.withClient { client in
            let rows = try await client.query("""
                INSERT INTO oauth2_counters (grp, key, count, last_ms, expires_at) VALUES (\(group), \(key), 1, \(now), \(now + window))
                ON CONFLICT (grp, key) DO UPDATE SET
                    count = CASE WHEN excluded.last_ms - oauth2_counters.last_ms <= \(window) THEN oauth2_counters.count + 1 ELSE 1 END,
                    last_ms = excluded.last_ms, expires_at = excluded.expires_at
                RETURNING count, last_ms
                """)
            for try await (count, last) in rows.decode((Int, Int64).self) { return FailureCount(count: count, last: last) }
            return FailureCount(count: 1, last: now)
        }
    }

    package func failures(_ key: String) async throws -> FailureCount? {
        return try await database.withClient { client in
            let rows = try await client.query("""
                SELECT count, last_ms FROM oauth2_counters WHERE grp = \(group) AND key = \(key) AND expires_at > \(StorageClock.nowMilliseconds())
                """)
            for try await (count, last) in rows.decode((Int, Int64).self) { return FailureCount(count: count, last: last) }
            return nil
        }
    }

    package func clearFailures(_ key: String) async throws {
        try await database.withClient { client in
            try await client.query("DELETE FROM oauth2_counters WHERE grp = \(group) AND key = \(key)")
        }
    }

    package func ping() async throws {
        try await database.withClient { client in
            try await client.query("SELECT 1")
        }
    }

}

/// The audit trail in PostgreSQL.
package struct PostgresAuditLog: AuditLog {
    let group: String
    let database: PostgresDatabase

    package init(group: String, database: PostgresDatabase) {
        self.group = group
        self.database = database
    }

    package func append(contentsOf records: [AuditRecord]) async throws {
        guard !records.isEmpty else { return }
        // One multi-row INSERT: a batch is one statement, written whole or not at all.
        var query = PostgresQuery(
            unsafeSQL: "INSERT INTO oauth2_audit (grp, at_ms, event, user_id, client_id, scope, token_id, detail) VALUES ")
        for (index, record) in records.enumerated() {
            if index > 0 { query.sql += ", " }
            let first = index * 8
            query.sql += "(" + (1...8).map { "$\(first + $0)" }.joined(separator: ", ") + ")"
            query.binds.append(group)
            query.binds.append(record.at.storageMilliseconds)
            query.binds.append(record.event)
            query.binds.append(record.userID)
            query.binds.append(record.clientID)
            query.binds.append(record.scope)
            query.binds.append(record.tokenID)
            query.binds.append(record.detail)
        }
        try await database.withClient { client in
            try await client.query(query)
        }
    }

    package func purge(before cutoff: Date) async throws -> Int {
        // Batches of 10,000 rows: short transactions, even for the first purge of a long history.
        var purged = 0
        while true {
            let count = try await database.withClient { client in
                let rows = try await client.query("""
                    WITH gone AS (
                        DELETE FROM oauth2_audit WHERE id IN (
                            SELECT id FROM oauth2_audit WHERE grp = \(group) AND at_ms < \(cutoff.storageMilliseconds) LIMIT 10000)
                        RETURNING 1)
                    SELECT count(*)::bigint FROM gone
                    """)
                var count = 0
                for try await (gone) in rows.decode(Int64.self) { count = Int(gone) }
                return count
            }
            purged += count
            if count < 10_000 { return purged }
        }
    }

    package func recent(limit: Int) async throws -> [AuditRecord] {
        return try await database.withClient { client in
            let rows = try await client.query("""
                SELECT at_ms, event, user_id, client_id, scope, token_id, detail FROM oauth2_audit
                WHERE grp = \(group) ORDER BY id DESC LIMIT \(limit)
                """)
            var records: [AuditRecord] = []
            for try await (at, event, user, clientID, scope, token, detail) in rows.decode(
                (Int64, String, String?, String?, String?, String?, String?).self)
            {
                records.append(AuditRecord(
                    at: Date(timeIntervalSince1970: Double(at) / 1000), event: event, userID: user, clientID: clientID,
                    scope: scope, tokenID: token, detail: detail))
            }
            return records
        }
    }
}
