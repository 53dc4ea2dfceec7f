import Logging
import Synchronization

/// Turns backend failures into `StorageUnavailable` and logs each outage once: one error when a
/// backend stops answering, one notice when it answers again, nothing per request in between.
/// Every call is bounded in time, so a backend that hangs costs a request seconds, not forever.
public final class OutageMonitor: Sendable {
    public let backend: String
    private let timeout: Duration
    private let logger: Logger
    private let down = Mutex(false)

    public init(backend: String, timeout: Duration = .seconds(3), logger: Logger) {
        self.backend = backend
        self.timeout = timeout
        self.logger = logger
    }

    public func run<T: Sendable>(group: String, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            let result = try await withTimeout(timeout, operation)
            if down.withLock({ state in defer { state = false }; return state }) {
                logger.notice("storage \(backend) is available again")
            }
            return result
        } catch {
            let reason = (error as? TimedOut).map { _ in "no answer within \(timeout)" } ?? String(describing: error)
            if !down.withLock({ state in defer { state = true }; return state }) {
                logger.error("storage \(backend) is unavailable: \(reason); requests that need it answer 503 until it is back")
            }
            throw StorageUnavailable(group: group, backend: backend, reason: reason)
        }
    }
}

struct TimedOut: Error {}

/// Runs `operation`, cancelling it and throwing `TimedOut` if it takes longer than `limit`.
func withTimeout<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimedOut()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// A store whose every call goes through an `OutageMonitor`.
public struct MonitoredStore: RecordStore {
    let base: any RecordStore
    let monitor: OutageMonitor

    public init(_ base: any RecordStore, monitor: OutageMonitor) {
        self.base = base
        self.monitor = monitor
    }

    public var group: String { base.group }
    public var defaultTTL: Int { base.defaultTTL }

    public func put(_ key: String, _ value: [UInt8], ttl: Int?) async throws {
        try await monitor.run(group: group) { [base] in try await base.put(key, value, ttl: ttl) }
    }

    public func get(_ key: String) async throws -> [UInt8]? {
        try await monitor.run(group: group) { [base] in try await base.get(key) }
    }

    public func delete(_ key: String) async throws {
        try await monitor.run(group: group) { [base] in try await base.delete(key) }
    }

    public func take(_ key: String) async throws -> [UInt8]? {
        try await monitor.run(group: group) { [base] in try await base.take(key) }
    }

    public func addToIndex(_ index: String, member: String, ttl: Int?) async throws {
        try await monitor.run(group: group) { [base] in try await base.addToIndex(index, member: member, ttl: ttl) }
    }

    public func removeFromIndex(_ index: String, member: String) async throws {
        try await monitor.run(group: group) { [base] in try await base.removeFromIndex(index, member: member) }
    }

    public func members(ofIndex index: String) async throws -> [String] {
        try await monitor.run(group: group) { [base] in try await base.members(ofIndex: index) }
    }

    public func deleteIndex(_ index: String) async throws {
        try await monitor.run(group: group) { [base] in try await base.deleteIndex(index) }
    }

    public func ping() async throws {
        try await monitor.run(group: group) { [base] in try await base.ping() }
    }
}

/// An audit log whose every call goes through an `OutageMonitor`.
public struct MonitoredAuditLog: AuditLog {
    let base: any AuditLog
    let monitor: OutageMonitor

    public init(_ base: any AuditLog, monitor: OutageMonitor) {
        self.base = base
        self.monitor = monitor
    }

    public func append(_ record: AuditRecord) async throws {
        try await monitor.run(group: "audit") { [base] in try await base.append(record) }
    }

    public func recent(limit: Int) async throws -> [AuditRecord] {
        try await monitor.run(group: "audit") { [base] in try await base.recent(limit: limit) }
    }
}
