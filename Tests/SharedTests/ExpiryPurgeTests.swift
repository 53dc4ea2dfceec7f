import Foundation
import Logging
import SharedStorage
import Testing

/// The periodic purge deletes the expired records, index entries and failure counters of a
/// file, and nothing that is still live.
@Suite struct ExpiryPurgeTests {
    @Test func thePurgeDeletesExpiredRowsOnly() async throws {
        let logger = Logger(label: "purge-tests")
        let database = try await SQLiteDatabase.open(path: NSTemporaryDirectory() + "purge-\(UUID().uuidString).sqlite", logger: logger)
        defer { Task { await database.close() } }
        try await database.migrate(logger: logger)
        let store = SQLiteRecordStore(group: "codes", defaultTTL: 0, database: database)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try await store.put("live", [1], ttl: 60, indexedIn: "grant")
        try await store.put("dead", [2], ttl: 1, indexedIn: "old grant")
        _ = try await store.countFailure("live", now: now, window: 60_000)
        _ = try await store.countFailure("dead", now: now - 10_000, window: 1)
        // Waits out the one-second lifetime of "dead".
        try await Task.sleep(for: .milliseconds(1_100))

        try await SQLiteDialect(database).purgeExpired()

        for table in ["oauth2_records", "oauth2_index", "oauth2_counters"] {
            let left = try await database.rows("SELECT count(*) FROM \(table)").first?.integer(0)
            #expect(left == 1, "\(table) keeps its live row only")
        }
        #expect(try await store.get("live") == [1])
    }
}
