import CoreMetrics
import SharedPlatform
import Prometheus

/// The supervisor's own metrics, kept with swift-metrics in swift-prometheus's registry:
/// the worker count, restarts, reloads and the build. Handles are resolved once.
final class SupervisorMetrics: Sendable {
    /// Why a worker that was not asked to stop had to be replaced.
    enum RestartReason: String, CaseIterable {
        /// It sent no heartbeat within auth_server.worker_timeout and was killed.
        case timeout
        /// A signal ended it (a crash, the OOM killer, kill -9).
        case signal
        /// It exited by itself.
        case exit
    }

    enum ReloadResult: String, CaseIterable {
        case success
        case failure
    }

    private let registry = PrometheusCollectorRegistry()
    private let workers: CoreMetrics.Gauge
    private let restarts: [RestartReason: CoreMetrics.Counter]
    private let reloads: [ReloadResult: CoreMetrics.Counter]

    init() {
        let factory = PrometheusMetricsFactory(registry: registry)
        workers = CoreMetrics.Gauge(label: MetricName.workers, factory: factory)
        restarts = Dictionary(uniqueKeysWithValues: RestartReason.allCases.map {
            ($0, CoreMetrics.Counter(label: MetricName.workerRestarts, dimensions: [("reason", $0.rawValue)], factory: factory))
        })
        reloads = Dictionary(uniqueKeysWithValues: ReloadResult.allCases.map {
            ($0, CoreMetrics.Counter(label: MetricName.reloads, dimensions: [("result", $0.rawValue)], factory: factory))
        })
        CoreMetrics.Gauge(label: MetricName.buildInfo, dimensions: [("version", OAuth2ServerVersion.current)], factory: factory).record(1)
    }

    /// These metrics in the text format, for the scrape.
    func rendered() -> String { registry.emitToString() }

    func workerCount(_ count: Int) { workers.record(count) }

    func restarted(_ reason: RestartReason) { restarts[reason]!.increment() }

    func reloaded(_ result: ReloadResult) { reloads[result]!.increment() }
}
