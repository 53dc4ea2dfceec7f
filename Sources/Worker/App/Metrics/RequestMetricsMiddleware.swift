import Hummingbird
import HummingbirdCore
import OAuth2Shared

/// Counts and times every request the router answers (`RequestMetrics`), by the route pattern
/// Hummingbird matched: it shares the request context's endpoint path with the router, so the
/// pattern is known here once `next` returns, 404s included.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = WorkerRequestContext

    let metrics: RequestMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.record(
                route: context.endpointPath, method: request.method, status: response.status.code,
                nanoseconds: (ContinuousClock.now - started).nanoseconds)
            return response
        } catch {
            let status = HTTPServing.clientMistakeStatus(error) ?? (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.record(
                route: context.endpointPath, method: request.method, status: status,
                nanoseconds: (ContinuousClock.now - started).nanoseconds)
            throw error
        }
    }
}
