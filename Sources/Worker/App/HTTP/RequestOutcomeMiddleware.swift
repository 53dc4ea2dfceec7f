import Hummingbird
import HummingbirdCore
import SharedPlatform

/// Times every request once and hands how it ended to the access log and to the request
/// metrics (`RequestMetrics`, by the route pattern Hummingbird matched: the request context
/// shares its endpoint path with the router, so the pattern is known once `next` returns, 404s
/// included). One clock read at each end serves both.
struct RequestOutcomeMiddleware: RouterMiddleware {
    typealias Context = WorkerRequestContext

    let accessLog: AccessLog
    let metrics: RequestMetrics

    func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context: context, status: response.status.code, bytes: response.body.contentLength, since: started)
            return response
        } catch {
            let status = HTTPServing.clientMistakeStatus(error) ?? (error as? any HTTPResponseError)?.status.code ?? 500
            record(request, context: context, status: status, bytes: nil, since: started)
            throw error
        }
    }

    private func record(_ request: Request, context: Context, status: Int, bytes: Int?, since started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        metrics.record(route: context.endpointPath, method: request.method, status: status, nanoseconds: elapsed.nanoseconds)
        accessLog.log(request, context: context, status: status, bytes: bytes, elapsed: elapsed)
    }
}
