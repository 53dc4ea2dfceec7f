import CoreMetrics
import HTTPTypes
import SharedPlatform
import Synchronization

/// `oauth2_http_requests_total{route,method,status}` and
/// `oauth2_http_request_duration_seconds{route}`, with each series' handles made on its first
/// request and then found by one dictionary lookup: no label strings are built per request.
/// Labels stay bounded: the route is the router's pattern (`unmatched` when none matched),
/// methods other than the usual ones are `other`, and statuses are the server's own.
final class RequestMetrics: Sendable {
    private struct Key: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    private struct Handles {
        let requests: Counter
        let duration: CoreMetrics.Timer
    }

    private struct State {
        var series: [Key: Handles] = [:]
        var durations: [String: CoreMetrics.Timer] = [:]
    }

    private let factory: any MetricsFactory
    /// Uncontended: a worker runs one event loop.
    private let state = Mutex(State())

    init(factory: any MetricsFactory) { self.factory = factory }

    /// Counts one answered request.
    /// - Parameter route: the matched pattern (`RequestContext.endpointPath`).
    func record(route: String?, method: HTTPRequest.Method, status: Int, nanoseconds: Int64) {
        let key = Key(route: Self.routeLabel(route), method: Self.methodLabel(method), status: status)
        let handles = state.withLock { state in
            if let found = state.series[key] { return found }
            let duration = state.durations[key.route] ?? CoreMetrics.Timer(
                label: MetricName.httpRequestDuration, dimensions: [("route", key.route)], factory: factory)
            state.durations[key.route] = duration
            let handles = Handles(
                requests: Counter(
                    label: MetricName.httpRequests,
                    dimensions: [("route", key.route), ("method", key.method), ("status", String(key.status))], factory: factory),
                duration: duration)
            state.series[key] = handles
            return handles
        }
        handles.requests.increment()
        handles.duration.recordNanoseconds(nanoseconds)
    }

    static func routeLabel(_ route: String?) -> String {
        guard let route, route != "NotFound" else { return "unmatched" }
        return route
    }

    static func methodLabel(_ method: HTTPRequest.Method) -> String {
        switch method {
        case .get, .head, .post, .put, .delete, .patch, .options: method.rawValue
        default: "other"
        }
    }
}
