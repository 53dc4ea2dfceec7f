import CoreMetrics
import Foundation
import Logging
import SharedPlatform

/// Everything a worker counts, in the metrics region its supervisor passed it (or nowhere,
/// when metrics are off). Made once at boot and handed to the parts that count.
struct WorkerMetrics: Sendable {
    let factory: any MetricsFactory
    let requests: RequestMetrics
    let oauth: OAuthMetrics

    init(factory: any MetricsFactory) {
        self.factory = factory
        requests = RequestMetrics(factory: factory)
        oauth = OAuthMetrics(factory: factory)
    }

    /// Counts nothing.
    static var disabled: WorkerMetrics { WorkerMetrics(factory: NOOPMetricsHandler.instance) }

    /// The region named by `WorkerContract.metricsVariable`, if the supervisor passed one.
    static func fromSupervisor(environment: [String: String], logger: Logger) -> WorkerMetrics {
        guard let number = environment[WorkerContract.metricsVariable].flatMap(Int32.init) else { return .disabled }
        do {
            let region = try MetricsRegion.open(descriptor: number)
            return WorkerMetrics(factory: SharedMetricsFactory(region: region) {
                logger.error("the metrics region is full: new series are not counted")
            })
        } catch {
            logger.error("counting no metrics: \(error)")
            return .disabled
        }
    }
}
