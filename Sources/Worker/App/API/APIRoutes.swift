import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import SharedPlatform

/// `/api/<function>`: the site's API for clients, behind access tokens (docs/integrating-your-site.md, the API mapping).
/// Any origin may call it from a browser (the token, not a cookie, is the credential).
struct APIRoutes: Sendable {
    let functions: [String: APIFunction]
    let site: any ResourceServer
    let ledger: GrantLedger
    let users: UserDirectory
    /// The clients file as last read: a token of a client removed from it no longer works.
    let clients: @Sendable () -> ClientRegistry
    let logger: Logger

    init(
        site: any ResourceServer, ledger: GrantLedger, users: UserDirectory, clients: @escaping @Sendable () -> ClientRegistry,
        logger: Logger
    ) {
        self.site = site
        self.functions = site.functions  // once, not per request
        self.ledger = ledger
        self.users = users
        self.clients = clients
        self.logger = logger
    }

    func add(to router: Router<WorkerRequestContext>) {
        let api = router.group("/api").add(middleware: PreflightOKMiddleware()).add(middleware: CORSMiddleware(
            allowOrigin: .all,
            allowHeaders: [.accept, .authorization, .contentType, .origin, .init("X-Requested-With")!],
            allowMethods: [.get, .post, .put, .patch, .delete, .head, .options],
            maxAge: .seconds(600))).add(middleware: APIAnswerMiddleware())
        // Preflights carry an Origin and are answered by the CORS middleware; this is for the rest.
        api.on(":fn", method: .options) { _, _ in Response(status: .ok) }
        for method: HTTPRequest.Method in [.get, .post, .put, .patch, .delete] {
            api.on(":fn", method: method) { request, context in
                try await call(context.parameters.get("fn") ?? "", request: request, context: context)
            }
        }
    }

    private func call(_ name: String, request: Request, context: WorkerRequestContext) async throws -> Response {
        let token: String
        switch BearerToken.from(request) {
        case .none: return Self.unauthorized(error: nil, message: "an access token is required")
        case .malformed: return Self.challenge(.badRequest, error: "invalid_request", message: "the Authorization header is malformed")
        case .token(let value): token = value
        }
        guard let record = try await ledger.accessToken(token), clients().client(record.clientID) != nil else {
            return Self.unauthorized(error: "invalid_token", message: "the access token is invalid or has expired")
        }
        guard let function = functions[name] else {
            return APIResponses.failure(.notFound, message: "there is no API function \"\(name)\"", error: "no such function")
        }
        let granted = record.scope.compactMap(site.rank(of:)).max() ?? -1
        guard let needed = site.rank(of: function.scope), granted >= needed else {
            var response = APIResponses.failure(
                .forbidden, message: "this function needs scope \(function.scope)", error: "insufficient scope")
            response.headers[.wwwAuthenticate] =
                "Bearer realm=\"Users\", error=\"insufficient_scope\", scope=\"\(function.scope)\""
            return response
        }
        var user: SiteUser?
        if let userID = record.userID {
            user = try await users.user(userID)
            guard user != nil else {
                return Self.unauthorized(error: "invalid_token", message: "the user of this token is no longer known")
            }
        } else if function.needsUser {
            return APIResponses.failure(.forbidden, message: "this function needs a token issued for a user", error: "user required")
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        do {
            return try await function.handler(APICall(request: request, token: record, user: user, body: body))
        } catch let error as ResourceServerUnavailable {
            logger.warning("/api/\(name): \(error)")
            return APIResponses.failure(
                error.timedOut ? .gatewayTimeout : .badGateway,
                message: "the resource server is temporarily unavailable", error: error.timedOut ? "gateway_timeout" : "bad_gateway")
        }
    }

    /// 401 with the RFC 6750 challenge; a request with no token at all gets no error code (3.1).
    static func unauthorized(error: String?, message: String) -> Response {
        var response = APIResponses.failure(.unauthorized, message: message, error: error ?? "unauthorized")
        response.headers[.wwwAuthenticate] = "Bearer realm=\"Users\"" + (error.map { ", error=\"\($0)\"" } ?? "")
        return response
    }

    static func challenge(_ status: HTTPResponse.Status, error: String, message: String) -> Response {
        var response = APIResponses.failure(status, message: message, error: error)
        response.headers[.wwwAuthenticate] = "Bearer realm=\"Users\", error=\"\(error)\""
        return response
    }
}
