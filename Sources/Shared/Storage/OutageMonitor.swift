import Foundation
import Logging
import NIOCore
import SharedPlatform
import Synchronization

/// Turns backend failures into `StorageUnavailable` and logs each outage once: one error when a
/// backend stops answering, one notice when it answers again, nothing per request in between.
/// Every call is bounded in time, so a backend that hangs costs a request seconds, not forever.
/// It is the one place that knows whether its backend is down: the outage metrics of the groups
/// it serves are counted from its state.
package final class OutageMonitor: Sendable {
    package let backend: String
    /// Nil for a backend whose client bounds every call itself (Redis: connect and command
    /// deadlines on the connection), which saves a task and a timer per call.
    private let timeout: Duration?
    /// Where the timers run.
    private let eventLoop: any EventLoop
    private let logger: Logger
    /// The groups whose calls failed since the backend last answered: empty while it is up.
    private let failedGroups = Mutex<Set<String>>([])

    /// Whether the backend's last call failed: it is reported down until one succeeds.
    package var isDown: Bool { failedGroups.withLock { !$0.isEmpty } }

    package init(backend: String, timeout: Duration? = .seconds(3), eventLoop: any EventLoop, logger: Logger) {
        self.backend = backend
        self.timeout = timeout
        self.eventLoop = eventLoop
        self.logger = logger
    }

    /// Runs one call of `group`; `outageBegan` runs when it is the group's first call to fail
    /// since the backend last answered (once per group per outage, however many calls fail). It
    /// does not escape, so passing it costs a store call no allocation.
    package func run<T: Sendable>(
        group: String, outageBegan: () -> Void = {}, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        do {
            let result = if let timeout { try await withTimeout(timeout, on: eventLoop, operation) } else { try await operation() }
            if failedGroups.withLock({ failed in defer { failed.removeAll() }; return !failed.isEmpty }) {
                logger.notice("storage \(backend) is available again")
            }
            return result
        } catch where Task.isCancelled {
            // The caller gave up (a request whose other store call failed cancels this one):
            // the backend said nothing about itself.
            throw CancellationError()
        } catch {
            let reason = (error as? TimedOut).map { _ in "no answer within \(timeout ?? .zero)" } ?? String(describing: error)
            let (backendWasUp, groupWasUp) = failedGroups.withLock { failed in (failed.isEmpty, failed.insert(group).inserted) }
            if backendWasUp {
                logger.error("storage \(backend) is unavailable: \(reason); requests that need it answer 503 until it is back")
            }
            if groupWasUp { outageBegan() }
            throw StorageUnavailable(group: group, backend: backend, reason: reason)
        }
    }
}

extension OutageMonitor {
    /// `run`, timed by `metrics`, which counts the group's outages as this monitor sees them.
    func run<T: Sendable>(
        _ operation: StorageMetrics.Operation, group: String, metrics: StorageMetrics?, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        guard let metrics else { return try await run(group: group, body) }
        return try await metrics.measure(operation) { try await run(group: group, outageBegan: { metrics.countOutage() }, body) }
    }
}

struct TimedOut: Error {}

/// Runs `operation` in a task of its own (on the caller's event loop, if any) and answers with its result or, once `limit` has
/// passed, with `TimedOut`, whichever comes first. On a timeout the operation is cancelled and
/// left to end by itself: the caller does not wait for a backend that ignores cancellation (a
/// task group would, and costs a second task and a dispatch timer on every call).
func withTimeout<T: Sendable>(
    _ limit: Duration, on eventLoop: any EventLoop, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = TimeoutRace<T>()
    // The task and its timer stay on the caller's event loop when it runs on one: an
    // unstructured task inherits no executor preference and would start on another thread.
    let executor = EventLoopTaskExecutor.current
    let timerLoop = executor?.eventLoop ?? eventLoop
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            let task = Task(executorPreference: executor) {
                do { race.finish(.success(try await operation())) } catch { race.finish(.failure(error)) }
            }
            let timer = timerLoop.scheduleTask(in: TimeAmount(limit)) {
                if race.finish(.failure(TimedOut())) { task.cancel() }
            }
            race.start(continuation, task: task, timer: timer)
        }
    } onCancel: {
        race.cancel()
    }
}

/// The state `withTimeout` shares between the operation, the timer and the caller: the first
/// to finish resumes the caller, once.
private final class TimeoutRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var result: Result<T, any Error>?
        var task: Task<Void, Never>?
        var timer: Scheduled<Void>?
        var cancelled = false
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>, task: Task<Void, Never>, timer: Scheduled<Void>) {
        let (finished, cancelled) = state.withLock { state -> (Result<T, any Error>?, Bool) in
            if state.result == nil {
                state.continuation = continuation
                state.task = task
                state.timer = timer
            }
            return (state.result, state.cancelled)
        }
        if let finished {
            timer.cancel()
            continuation.resume(with: finished)
        } else if cancelled {
            task.cancel()
        }
    }

    /// Records the outcome; true if it was the first (and so answered the caller).
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let (first, continuation, timer) = state.withLock { state -> (Bool, CheckedContinuation<T, any Error>?, Scheduled<Void>?) in
            guard state.result == nil else { return (false, nil, nil) }
            state.result = result
            defer {
                state.continuation = nil
                state.timer = nil
            }
            return (true, state.continuation, state.timer)
        }
        timer?.cancel()
        continuation?.resume(with: result)
        return first
    }

    func cancel() {
        let task = state.withLock { state in
            state.cancelled = true
            return state.task
        }
        task?.cancel()
    }
}

/// A store whose every call goes through an `OutageMonitor`.
package struct MonitoredStore: RecordStore {
    let base: any RecordStore
    let monitor: OutageMonitor
    let metrics: StorageMetrics?

    package init(_ base: any RecordStore, monitor: OutageMonitor, metrics: StorageMetrics? = nil) {
        self.base = base
        self.monitor = monitor
        self.metrics = metrics
    }

    private func run<T: Sendable>(_ operation: StorageMetrics.Operation, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await monitor.run(operation, group: group, metrics: metrics, body)
    }

    package var group: String { base.group }
    package var defaultTTL: Int { base.defaultTTL }

    package func put(_ key: String, _ value: [UInt8], ttl: Int?) async throws {
        try await run(.put) { [base] in try await base.put(key, value, ttl: ttl) }
    }

    package func insert(_ key: String, _ value: [UInt8], ttl: Int?) async throws -> Bool {
        try await run(.insert) { [base] in try await base.insert(key, value, ttl: ttl) }
    }

    package func get(_ key: String) async throws -> [UInt8]? {
        try await run(.get) { [base] in try await base.get(key) }
    }

    package func get(_ key: String, unlessMarkedBy marker: RecordMarker) async throws -> [UInt8]? {
        try await run(.getUnlessMarked) { [base] in try await base.get(key, unlessMarkedBy: marker) }
    }

    package func delete(_ key: String) async throws {
        try await run(.delete) { [base] in try await base.delete(key) }
    }

    package func take(_ key: String) async throws -> [UInt8]? {
        try await run(.take) { [base] in try await base.take(key) }
    }

    package func addToIndex(_ index: String, member: String, ttl: Int?) async throws {
        try await run(.addToIndex) { [base] in try await base.addToIndex(index, member: member, ttl: ttl) }
    }

    package func removeFromIndex(_ index: String, member: String) async throws {
        try await run(.removeFromIndex) { [base] in try await base.removeFromIndex(index, member: member) }
    }

    package func members(ofIndex index: String) async throws -> [String] {
        try await run(.members) { [base] in try await base.members(ofIndex: index) }
    }

    package func deleteIndex(_ index: String) async throws {
        try await run(.deleteIndex) { [base] in try await base.deleteIndex(index) }
    }

    package func put(_ key: String, _ value: [UInt8], ttl: Int?, indexedIn index: String) async throws {
        try await run(.putIndexed) { [base] in try await base.put(key, value, ttl: ttl, indexedIn: index) }
    }

    package func put(_ key: String, _ value: [UInt8], ttl: Int?, indexedIn index: String, thenLookFor marker: String) async throws -> Bool {
        try await run(.putIndexed) { [base] in try await base.put(key, value, ttl: ttl, indexedIn: index, thenLookFor: marker) }
    }

    package func deleteIndexed(_ index: String) async throws {
        try await run(.deleteIndexed) { [base] in try await base.deleteIndexed(index) }
    }

    package func countFailure(_ key: String, now: Int64, window: Int64) async throws -> FailureCount {
        try await run(.countFailure) { [base] in try await base.countFailure(key, now: now, window: window) }
    }

    package func failures(_ key: String) async throws -> FailureCount? {
        try await run(.failures) { [base] in try await base.failures(key) }
    }

    package func clearFailures(_ key: String) async throws {
        try await run(.clearFailures) { [base] in try await base.clearFailures(key) }
    }

    package func ping() async throws {
        try await run(.ping) { [base] in try await base.ping() }
    }
}

/// An audit log whose every call goes through an `OutageMonitor`. The same wrapper as
/// `MonitoredStore` for the other storage protocol: one generic wrapper would reach its base
/// through an existential of either protocol and need both protocols' methods anyway.
package struct MonitoredAuditLog: AuditLog {
    let base: any AuditLog
    let monitor: OutageMonitor
    let metrics: StorageMetrics?

    package init(_ base: any AuditLog, monitor: OutageMonitor, metrics: StorageMetrics? = nil) {
        self.base = base
        self.monitor = monitor
        self.metrics = metrics
    }

    private func run<T: Sendable>(_ operation: StorageMetrics.Operation, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await monitor.run(operation, group: StorageGroup.audit.rawValue, metrics: metrics, body)
    }

    package func append(contentsOf records: [AuditRecord]) async throws {
        try await run(.auditAppend) { [base] in try await base.append(contentsOf: records) }
    }

    package func recent(limit: Int) async throws -> [AuditRecord] {
        try await run(.auditRecent) { [base] in try await base.recent(limit: limit) }
    }

    package func purge(before cutoff: Date) async throws -> Int {
        try await run(.auditPurge) { [base] in try await base.purge(before: cutoff) }
    }
}
