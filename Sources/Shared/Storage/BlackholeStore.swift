import Foundation
/// "Blackhole": accepts everything and keeps nothing, as the seed uses it for audit in tests.
public struct BlackholeStore: RecordStore, AuditLog {
    public let group: String
    public var defaultTTL: Int { 0 }

    public init(group: String) { self.group = group }

    public func put(_ key: String, _ value: [UInt8], ttl: Int?) async throws {}
    public func insert(_ key: String, _ value: [UInt8], ttl: Int?) async throws -> Bool { true }
    public func get(_ key: String) async throws -> [UInt8]? { nil }
    public func delete(_ key: String) async throws {}
    public func take(_ key: String) async throws -> [UInt8]? { nil }
    public func addToIndex(_ index: String, member: String, ttl: Int?) async throws {}
    public func removeFromIndex(_ index: String, member: String) async throws {}
    public func members(ofIndex index: String) async throws -> [String] { [] }
    public func deleteIndex(_ index: String) async throws {}
    public func put(_ key: String, _ value: [UInt8], ttl: Int?, indexedIn index: String) async throws {}
    public func deleteIndexed(_ index: String) async throws {}
    public func countFailure(_ key: String, now: Int64, window: Int64) async throws -> FailureCount { FailureCount(count: 1, last: now) }
    public func failures(_ key: String) async throws -> FailureCount? { nil }
    public func clearFailures(_ key: String) async throws {}
    public func ping() async throws {}
    public func append(contentsOf records: [AuditRecord]) async throws {}
    public func recent(limit: Int) async throws -> [AuditRecord] { [] }
    public func purge(before cutoff: Date) async throws -> Int { 0 }
}
