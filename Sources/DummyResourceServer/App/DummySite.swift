import Hummingbird
import Logging

/// The stub website's routes: `POST /login`, `GET /info` and `GET /healthcheck`.
package struct DummySite: Sendable {
    /// The cookie a successful login sets, as the Node stub named it.
    static let cookieName = "dummy-server-token"
    /// The one password every username logs in with.
    static let password = "password"

    let tokens: SiteTokenSigner
    let logger: Logger

    package init(tokens: SiteTokenSigner, logger: Logger) {
        self.tokens = tokens
        self.logger = logger
    }

    package func buildRouter() -> Router<SiteRequestContext> {
        let router = Router(context: SiteRequestContext.self)
        router.add(middleware: RequestLogMiddleware(logger: logger))
        router.get("/healthcheck") { _, _ in "ok" }
        router.post("/login") { request, context in try await login(request, context: context) }
        router.get("/info") { request, _ in try info(request) }
        return router
    }

    /// Checks the password and answers the user, with their token in a cookie.
    func login(_ request: Request, context: some RequestContext) async throws -> EditedResponse<SiteUser> {
        let form = try await LoginForm.decode(from: request, context: context)
        guard let username = form.username, !username.isEmpty else {
            throw SiteError(.badRequest, "username is required")
        }
        guard form.password == Self.password else {
            throw SiteError(.unauthorized, "bad username or password")
        }
        // Written out rather than with `Cookie`, whose attribute order varies from run to run.
        let cookie = "\(Self.cookieName)=\(tokens.issue(for: username)); Path=/; HttpOnly"
        return EditedResponse(headers: [.setCookie: cookie], response: SiteUser(username: username))
    }

    /// The user a token (`?token=`, or the login cookie) belongs to.
    func info(_ request: Request) throws -> SiteUser {
        let token = request.uri.queryParameters["token"].map(String.init) ?? request.cookies[Self.cookieName]?.value
        guard let token, let username = tokens.username(in: token) else {
            throw SiteError(.unauthorized, "unknown token")
        }
        return SiteUser(username: username)
    }
}
