import Foundation

/// The audit trail in an SQL database: `AuditLog` written once, over the engine's `SQLDialect`
/// (a protocol for the reason `SQLRecordStore` is one).
package protocol SQLAuditLog: AuditLog {
    associatedtype Dialect: SQLDialect
    var group: String { get }
    var dialect: Dialect { get }
}

/// The audit trail in an SQLite file.
package struct SQLiteAuditLog: SQLAuditLog {
    package let group: String
    package let dialect: SQLiteDialect

    package init(group: String, database: SQLiteDatabase) {
        (self.group, dialect) = (group, SQLiteDialect(database))
    }
}

/// The audit trail in PostgreSQL.
package struct PostgresAuditLog: SQLAuditLog {
    package let group: String
    package let dialect: PostgresDialect

    package init(group: String, database: PostgresDatabase) {
        (self.group, dialect) = (group, PostgresDialect(database))
    }
}

extension SQLAuditLog {
    /// One statement, written whole or not at all: a fixed one for one record, one multi-row
    /// INSERT for more (several, past what the engine binds in one).
    package func append(contentsOf records: [AuditRecord]) async throws {
        if records.count == 1, let record = records.first {
            return try await dialect.write(
                SQL.AppendAudit.self, group, record.at.storageMilliseconds, record.event, record.userID, record.clientID,
                record.scope, record.tokenID, record.detail)
        }
        for start in stride(from: 0, to: records.count, by: Dialect.auditRecordsPerStatement) {
            let batch = records[start..<min(start + Dialect.auditRecordsPerStatement, records.count)]
            var values = Dialect.Bindings(capacity: batch.count * 8)
            var rows: [String] = []
            for (index, record) in batch.enumerated() {
                rows.append("(" + (1...8).map { Dialect.parameterPrefix + String(index * 8 + $0) }.joined(separator: ", ") + ")")
                values.append(
                    group, record.at.storageMilliseconds, record.event, record.userID, record.clientID, record.scope, record.tokenID,
                    record.detail)
            }
            try await dialect.write(sql: SQL.AppendAudit.columns + rows.joined(separator: ", "), values)
        }
    }

    package func recent(limit: Int) async throws -> [AuditRecord] {
        try await dialect.read(SQL.RecentAudit.self, group, limit, eachRow: { row in
            AuditRecord(
                at: Date(timeIntervalSince1970: Double(try row.integer(0) ?? 0) / 1000), event: try row.text(1) ?? "",
                userID: try row.text(2), clientID: try row.text(3), scope: try row.text(4), tokenID: try row.text(5),
                detail: try row.text(6))
        })
    }

    /// Batches of 10,000 rows: short transactions, even for the first purge of a long history.
    package func purge(before cutoff: Date) async throws -> Int {
        var purged = 0
        while true {
            var count = 0
            try await dialect.run(SQL.PurgeAudit.self, group, cutoff.storageMilliseconds, 10_000, writes: true, eachRow: { _ in count += 1 })
            purged += count
            if count < 10_000 { return purged }
        }
    }
}
