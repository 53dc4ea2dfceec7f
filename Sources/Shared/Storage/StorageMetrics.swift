import CoreMetrics
import Foundation
import Synchronization
import SharedPlatform

/// What one storage group's calls cost and how often the group went down, for
/// `oauth2_storage_operation_duration_seconds` and `oauth2_storage_outages_total`. Timers are
/// made on an operation's first call, so a scrape shows only the operations a group serves.
package final class StorageMetrics: Sendable {
    /// Every call a store or the audit log answers.
    package enum Operation: Int, CaseIterable, Sendable {
        case put, insert, get, getUnlessMarked, delete, take, addToIndex, removeFromIndex, members, deleteIndex
        case putIndexed, deleteIndexed, countFailure, failures, clearFailures, ping
        case auditAppend, auditRecent, auditPurge

        /// The `operation` label.
        var label: String {
            switch self {
            case .put: "put"
            case .insert: "insert"
            case .get: "get"
            case .getUnlessMarked: "get_unless_marked"
            case .delete: "delete"
            case .take: "take"
            case .addToIndex: "add_to_index"
            case .removeFromIndex: "remove_from_index"
            case .members: "members"
            case .deleteIndex: "delete_index"
            case .putIndexed: "put_indexed"
            case .deleteIndexed: "delete_indexed"
            case .countFailure: "count_failure"
            case .failures: "failures"
            case .clearFailures: "clear_failures"
            case .ping: "ping"
            case .auditAppend: "append"
            case .auditRecent: "recent"
            case .auditPurge: "purge"
            }
        }
    }

    private let backend: String
    private let group: String
    private let factory: any MetricsFactory
    private let timers = Mutex<[CoreMetrics.Timer?]>(Array(repeating: nil, count: Operation.allCases.count))
    /// Counted by the group's `OutageMonitor`, which alone knows whether the backend is down.
    private let outages: Counter

    /// - Parameter backend: `redis`, `postgres` or `sqlite`.
    package init(backend: String, group: String, factory: any MetricsFactory) {
        self.backend = backend
        self.group = group
        self.factory = factory
        self.outages = Counter(label: MetricName.storageOutages, dimensions: [("group", group)], factory: factory)
    }

    /// Runs `operation`, timing it whether it answers or fails.
    func measure<T>(_ kind: Operation, _ operation: () async throws -> T) async throws -> T {
        let started = ContinuousClock.now
        defer { timer(kind).recordNanoseconds((ContinuousClock.now - started).nanoseconds) }
        return try await operation()
    }

    /// One more outage of the group: its first failed call since its backend last answered.
    func countOutage() { outages.increment() }

    private func timer(_ kind: Operation) -> CoreMetrics.Timer {
        timers.withLock { timers in
            if let timer = timers[kind.rawValue] { return timer }
            let timer = CoreMetrics.Timer(
                label: MetricName.storageOperationDuration,
                dimensions: [("backend", backend), ("group", group), ("operation", kind.label)], factory: factory)
            timers[kind.rawValue] = timer
            return timer
        }
    }
}
