import Foundation
/// "Blackhole": accepts everything and keeps nothing, as the Node original uses it for audit in tests.
package struct BlackholeStore: RecordStore, AuditLog {
    package let group: String
    package var defaultTTL: Int { 0 }

    package init(group: String) { self.group = group }

    package func put(_ key: String, _ value: [UInt8], ttl: Int?) async throws {}
    package func insert(_ key: String, _ value: [UInt8], ttl: Int?) async throws -> Bool { true }
    package func get(_ key: String) async throws -> [UInt8]? { nil }
    package func delete(_ key: String) async throws {}
    package func take(_ key: String) async throws -> [UInt8]? { nil }
    package func addToIndex(_ index: String, member: String, ttl: Int?) async throws {}
    package func removeFromIndex(_ index: String, member: String) async throws {}
    package func members(ofIndex index: String) async throws -> [String] { [] }
    package func deleteIndex(_ index: String) async throws {}
    package func put(_ key: String, _ value: [UInt8], ttl: Int?, indexedIn index: String) async throws {}
    package func deleteIndexed(_ index: String) async throws {}
    package func countFailure(_ key: String, now: Int64, window: Int64) async throws -> FailureCount { FailureCount(count: 1, last: now) }
    package func failures(_ key: String) async throws -> FailureCount? { nil }
    package func clearFailures(_ key: String) async throws {}
    package func ping() async throws {}
    package func append(contentsOf records: [AuditRecord]) async throws {}
    package func recent(limit: Int) async throws -> [AuditRecord] { [] }
    package func purge(before cutoff: Date) async throws -> Int { 0 }
}
