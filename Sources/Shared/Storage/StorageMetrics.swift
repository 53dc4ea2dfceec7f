import CoreMetrics
import Foundation
import Synchronization
import SharedPlatform

/// What one storage group's calls cost and how often the group went down, for
/// `oauth2_storage_operation_duration_seconds` and `oauth2_storage_outages_total`. Timers are
/// made on an operation's first call, so a scrape shows only the operations a group serves.
public final class StorageMetrics: Sendable {
    /// Every call a store or the audit log answers.
    public enum Operation: Int, CaseIterable, Sendable {
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
    private let outages: Counter
    /// Whether the group's last call failed: an outage is counted when a call fails after one
    /// that did not (or as the first).
    private let down = Atomic<Bool>(false)

    /// - Parameter backend: `redis`, `postgres` or `sqlite`.
    public init(backend: String, group: String, factory: any MetricsFactory) {
        self.backend = backend
        self.group = group
        self.factory = factory
        self.outages = Counter(label: MetricName.storageOutages, dimensions: [("group", group)], factory: factory)
    }

    /// Runs `operation`, timing it and noting whether the group answered.
    func measure<T>(_ kind: Operation, _ operation: () async throws -> T) async throws -> T {
        let started = ContinuousClock.now
        do {
            let result = try await operation()
            timer(kind).recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            if down.load(ordering: .relaxed) { down.store(false, ordering: .relaxed) }
            return result
        } catch {
            timer(kind).recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            if error is StorageUnavailable, !down.exchange(true, ordering: .relaxed) { outages.increment() }
            throw error
        }
    }

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
