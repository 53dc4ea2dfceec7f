import Hummingbird
import HTTPTypes
import NIOCore
import SharedPlatform

/// The JSON answers of the back-channel endpoints (/token, /revoke, /introspect): RFC 6749 5.1
/// and 5.2, never cached. Every `OAuthError` becomes a response here and nowhere else (called
/// from `BackChannelErrorMiddleware`).
enum OAuthResponses {
    private static let pragma = HTTPField.Name("Pragma")!

    private static let headers: HTTPFields = [
        .contentType: "application/json; charset=utf-8", .cacheControl: "no-store", pragma: "no-cache",
    ]

    static func json(_ status: HTTPResponse.Status, _ body: JSONWriter) -> Response {
        Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body.finish())))
    }

    /// RFC 6749 5.2: 401 with a Basic challenge for a client that failed to authenticate, 400
    /// for everything else.
    static func error(_ error: OAuthError) -> Response {
        let status: HTTPResponse.Status = error.code == "invalid_client" ? .unauthorized : .badRequest
        var response = json(status, errorBody(error.code, error.message))
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Basic realm=\"oauth2-server\", charset=\"UTF-8\"" }
        return response
    }

    private static func errorBody(_ code: String, _ description: String) -> JSONWriter {
        var body = JSONWriter()
        body.field("error", code)
        body.field("error_description", description)
        return body
    }

    /// 429 with Retry-After: the client's failed authentications from this address spent their
    /// budget. `slow_down` is the token endpoint's "ask less often" (RFC 8628 3.5).
    static func throttled(_ wait: Duration) -> Response {
        let seconds = Throttle.wholeSeconds(wait)
        var response = json(
            .tooManyRequests,
            errorBody("slow_down", "too many failed client authentications from this address; try again in \(seconds) s"))
        response.headers[.retryAfter] = String(seconds)
        return response
    }

    static func payloadTooLarge(limit: Int) -> Response {
        json(.contentTooLarge, errorBody("invalid_request", "the request body is larger than \(limit) bytes"))
    }

    /// The back-channel endpoints take POST only (RFC 6749 3.2): parameters in a URL end up in logs.
    static func postOnly(_ router: some RouterMethods<WorkerRequestContext>, _ path: RouterPath) {
        for method: HTTPRequest.Method in [.get, .put, .patch, .delete] {
            router.on(path, method: method) { _, _ -> Response in
                var response = json(.methodNotAllowed, errorBody("invalid_request", "use POST"))
                response.headers[.allow] = "POST"
                return response
            }
        }
    }

    /// RFC 6749 5.1.
    static func tokens(_ issued: IssuedTokens) -> Response {
        var body = JSONWriter()
        body.field("access_token", issued.accessToken)
        body.field("token_type", "Bearer")
        body.field("expires_in", issued.expiresIn)
        body.field("refresh_token", issued.refreshToken)
        body.field("scope", issued.scope.joined(separator: " "))
        body.field("id_token", issued.idToken)
        return json(.ok, body)
    }
}
