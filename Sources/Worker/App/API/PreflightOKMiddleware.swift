import Hummingbird

/// Answers CORS preflights with 200 rather than Hummingbird's 204: the Node original answered
/// 200, and clients written against it (and some older browsers) treat only 200 as success.
struct PreflightOKMiddleware: RouterMiddleware {
    typealias Context = WorkerRequestContext

    func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if request.method == .options, response.status == .noContent {
            response.status = .ok
        }
        return response
    }
}
