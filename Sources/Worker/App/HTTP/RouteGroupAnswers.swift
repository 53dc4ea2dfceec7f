import Hummingbird
import SharedStorage

/// Where the back-channel endpoints' (/token, /revoke, /introspect) errors become answers, for
/// the whole route group: client mistakes as RFC 6749 5.2 JSON, 413 for a body over the limit,
/// 429 while a client's failures spend their budget, 503 on a storage outage.
struct BackChannelErrorMiddleware: RouterMiddleware {
    typealias Context = WorkerRequestContext

    func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as OAuthError {
            return OAuthResponses.error(error)
        } catch let error as OAuthParameters.BodyTooLarge {
            return OAuthResponses.payloadTooLarge(limit: error.limit)
        } catch let error as ClientThrottled {
            return OAuthResponses.throttled(error.wait)
        } catch let error as StorageUnavailable {
            return try error.response(from: request, context: context)
        }
    }
}

/// Where the pages' (/login, /authorize, /review, /end_session) storage outages become an
/// answer a person can read: an error page, not JSON.
struct PageErrorMiddleware: RouterMiddleware {
    typealias Context = WorkerRequestContext

    let pages: PageRenderer

    func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch is StorageUnavailable {
            var response = pages.error(.serviceUnavailable, heading: "Temporarily unavailable", message: "Please try again in a moment.")
            response.headers[.retryAfter] = "5"
            return response
        }
    }
}

/// Where the API's (/api/*) storage outages become an answer, and where every API answer gets
/// `Access-Control-Allow-Origin: *`, as the Node original's did, also for clients that send no Origin.
struct APIAnswerMiddleware: RouterMiddleware {
    typealias Context = WorkerRequestContext

    func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as StorageUnavailable {
            response = try error.response(from: request, context: context)
        }
        response.headers[.accessControlAllowOrigin] = "*"
        return response
    }
}
