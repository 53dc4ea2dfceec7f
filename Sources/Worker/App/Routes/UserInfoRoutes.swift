import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import SharedPlatform

/// GET and POST /userinfo (OpenID Connect Core 1.0, 5.3): the signed-in user's claims for an
/// access token with the `openid` scope, `sub` always, the rest as the token's scopes allow.
/// The token comes in the Authorization header, or for POST in an `access_token` form field
/// (RFC 6750 2.1 and 2.2, which some libraries use); never in the query. Errors are RFC 6750 3's:
/// 401 with a Bearer challenge, 403 `insufficient_scope`.
struct UserInfoRoutes: Sendable {
    let ledger: GrantLedger
    let users: UserDirectory
    let site: any ResourceServer
    let clients: @Sendable () -> ClientRegistry
    let subjects: SubjectIdentifiers

    func add(to router: Router<WorkerRequestContext>) {
        for method: HTTPRequest.Method in [.get, .post] {
            router.on("/userinfo", method: method) { request, context -> Response in
                var response = try await userInfo(request, context: context)
                // Single-page relying parties call it from the browser with the token as credential.
                response.headers[.accessControlAllowOrigin] = "*"
                return response
            }
        }
    }

    private func userInfo(_ request: Request, context: WorkerRequestContext) async throws -> Response {
        var token: String
        switch BearerToken.from(request) {
        case .none:
            guard request.method == .post, let posted = try await Self.formToken(request, context: context) else {
                return Self.challenge(.unauthorized, error: nil, message: "an access token is required")
            }
            token = posted
        case .malformed: return Self.challenge(.badRequest, error: "invalid_request", message: "the Authorization header is malformed")
        case .token(let value): token = value
        }
        guard let record = try await ledger.accessToken(token), let client = clients().client(record.clientID), let userID = record.userID,
            let user = try await users.user(userID)
        else {
            return Self.challenge(.unauthorized, error: "invalid_token", message: "the access token is invalid or has expired")
        }
        guard record.scope.contains(OpenIDScopes.openID) else {
            return Self.challenge(.forbidden, error: "insufficient_scope", message: "the access token was not issued with the openid scope")
        }
        let claims = UserClaims.released(site.claims(of: user), subject: subjects.subject(of: userID, for: client), scope: record.scope)
        return APIResponses.json(.ok, UserInfoAnswer(claims: claims))
    }

    /// RFC 6750 2.2: `access_token` in a form-encoded body.
    private static func formToken(_ request: Request, context: WorkerRequestContext) async throws -> String? {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else { return nil }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        return QueryParameters(query: String(buffer: body))["access_token"]
    }

    /// RFC 6750 3: the challenge, and the error in JSON for readers of the body.
    static func challenge(_ status: HTTPResponse.Status, error: String?, message: String) -> Response {
        var response = APIResponses.json(status, BearerErrorBody(error, description: message))
        response.headers[.wwwAuthenticate] =
            "Bearer realm=\"Users\"" + (error.map { ", error=\"\($0)\"" } ?? "") + (error == "insufficient_scope" ? ", scope=\"openid\"" : "")
        return response
    }
}
