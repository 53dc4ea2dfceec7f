import CoreMetrics
import Synchronization

/// The swift-metrics backend of a worker: counters and timers (as duration histograms) kept in
/// the metrics region its supervisor reads. Creating a handler takes a lock and may append to
/// the region; using one takes neither, so callers resolve their handlers once and keep them.
///
/// Timer labels become histogram names, whose values the supervisor shows in seconds. Meters,
/// recorders and floating-point counters are not used by this server and record nothing.
package final class SharedMetricsFactory: MetricsFactory, Sendable {
    /// Bucket bounds for every duration histogram: a token issued from Redis takes about a
    /// millisecond, a PostgreSQL write a few, a backend that hangs seconds.
    package static let durationBounds: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        .seconds(5), .seconds(10),
    ]

    private let region: MetricsRegion?
    /// Handlers by series, so asking twice for one series shares its slots.
    private let handlers = Mutex<[String: any Sendable]>([:])
    private let full = Mutex(false)
    private let onFull: @Sendable () -> Void

    /// - Parameter region: nil when metrics are off; every handler then records nothing.
    /// - Parameter onFull: called once if the region has no room for a new series.
    package init(region: MetricsRegion?, onFull: @escaping @Sendable () -> Void = {}) {
        self.region = region
        self.onFull = onFull
    }

    package func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        if let counter = series(.counter, name: label, dimensions: dimensions, bounds: [], make: SharedCounter.init) { return counter }
        return NOOPMetricsHandler.instance
    }

    package func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let bounds = Self.durationBounds.map(\.nanoseconds)
        let histogram = series(.histogram, name: label, dimensions: dimensions, bounds: bounds.map { UInt64($0) }) {
            SharedHistogram(slots: $0, bounds: bounds)
        }
        if let histogram { return histogram }
        return NOOPMetricsHandler.instance
    }

    package func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        NOOPMetricsHandler.instance
    }

    package func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        NOOPMetricsHandler.instance
    }

    package func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        NOOPMetricsHandler.instance
    }

    // A series stays in the region once made: what it counted is not the worker's to forget.
    package func destroyCounter(_ handler: any CounterHandler) {}
    package func destroyTimer(_ handler: any TimerHandler) {}
    package func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    package func destroyRecorder(_ handler: any RecorderHandler) {}
    package func destroyMeter(_ handler: any MeterHandler) {}

    private func series<Handler: Sendable>(
        _ kind: MetricsRegion.Kind, name: String, dimensions: [(String, String)], bounds: [UInt64],
        make: (UnsafeMutablePointer<UInt64>) -> Handler
    ) -> Handler? {
        guard let region else { return nil }
        let labels = PrometheusText.labels(dimensions)
        let key = "\(kind.rawValue) \(name){\(labels)}"
        let handler = handlers.withLock { handlers -> Handler? in
            if let existing = handlers[key] { return existing as? Handler }
            guard let slots = region.append(kind: kind, name: name, labels: labels, bounds: bounds) else { return nil }
            let handler = make(slots)
            handlers[key] = handler
            return handler
        }
        if handler == nil, full.withLock({ full in defer { full = true }; return !full }) { onFull() }
        return handler
    }
}

extension Duration {
    /// Whole nanoseconds (durations here are far below the 292 years an Int64 holds).
    package var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
