import Foundation
import Hummingbird
import Logging
import OAuth2Shared

/// GET and POST /authorize: the consent dialog (seed section 5.0, RFC 6749 4.1 and 4.2). GET
/// checks the request, sends a browser that is not signed in to /login, and asks the user; the
/// POST applies the answer to the transaction the page was shown for, once.
struct AuthorizeRoutes: Sendable {
    let sessions: SessionStore
    let transactions: TransactionStore
    let pages: PageRenderer
    let ledger: GrantLedger
    let users: UserDirectory
    let scopes: ScopePolicy
    /// For the words that explain each scope.
    let site: any ResourceServer
    let clients: @Sendable () -> ClientRegistry
    /// `auth_server.url`: the login redirect's base and the `iss` of every answer.
    let issuer: String
    let logger: Logger

    static let transactionKind = "authorize"

    func add(to router: Router<WorkerRequestContext>) {
        router.get("/authorize") { request, _ in try await pages.answering { try await ask(request) } }
        router.post("/authorize") { request, context in try await pages.answering { try await decide(request, context: context) } }
    }

    private func ask(_ request: Request) async throws -> Response {
        let query = QueryParameters(request)
        // A huge value is refused on a page, never echoed back in a redirect.
        if let name = query.oversizedName {
            return pages.error(
                .badRequest, heading: "This link is not valid",
                message: "invalid_request: the parameter \(OAuthLimits.shown(name)) is longer than \(OAuthLimits.parameterBytes) bytes.")
        }
        let registry = clients()
        let checked: AuthorizationRequest
        do throws(AuthorizationRequest.Problem) {
            checked = try AuthorizationRequest.check(query.all, clients: registry, scopes: scopes)
        } catch {
            switch error {
            case .cannotRedirect(let reason):
                logger.info("authorize: refused without redirect: \(reason)")
                return pages.error(.badRequest, heading: "This link is not valid", message: reason)
            case .redirect(let error, let redirect):
                return PageRenderer.redirect(to: redirect.location(error, issuer: issuer))
            }
        }
        guard let signedIn = try await sessions.signedIn(request, users: users) else {
            return PageRenderer.loginRedirect(publicURL: issuer, returnTo: request.uri.description)
        }
        let transaction = try await transactions.begin(Self.transactionKind, checked, session: signedIn.sessionID)
        let values: [String: Any] = [
            "transaction_id": transaction,
            "client": [
                "name": registry.client(checked.clientID)?.name ?? checked.clientID,
                "redirect_host": URLComponents(string: checked.redirectURI)?.host ?? "",
            ],
            "scopes": checked.scope.map { ["name": $0, "description": site.scopeDescriptions[$0] ?? ""] },
            "scope": checked.scope.joined(separator: " "),
        ]
        return pages.render("dialog", title: "Allow access?", values: values, user: signedIn.user, redirectsTo: checked.redirectURI)
    }

    private func decide(_ request: Request, context: WorkerRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard let form = FormFields.form(body), let transactionID = form["transaction_id"]
        else {
            return pages.error(.badRequest, heading: "Something went wrong", message: "The form could not be read.")
        }
        guard let (sessionID, session) = try await sessions.load(request),
            let asked = try await transactions.finish(
                Self.transactionKind, id: transactionID, session: sessionID, as: AuthorizationRequest.self)
        else {
            return pages.error(
                .badRequest, heading: "This request has expired",
                message: "This authorization request was already answered, has expired, or belongs to another session. Go back to the application and start again.")
        }
        // The clients file may have been reloaded since the page was shown.
        guard let client = clients().client(asked.clientID), client.allowsRedirect(asked.redirectURI) else {
            return pages.error(.badRequest, heading: "This link is not valid", message: "The application is no longer registered here.")
        }
        let redirect = asked.redirect
        if form["cancel"] != nil {
            try await ledger.deny(userID: session.userID, clientID: client.clientID)
            return PageRenderer.redirect(to: redirect.location(.accessDenied("the user denied access"), issuer: issuer))
        }
        let scope = scopes.approved(posted: ScopePolicy.parse(form["scope"]), offered: asked.scope)
        let grant = try await ledger.grant(userID: session.userID, clientID: client.clientID, scope: scope, username: session.username)
        switch asked.responseType {
        case .code:
            let code = try await ledger.codeExchange.issue(
                for: grant, redirectURI: asked.redirectURI, redirectURIGiven: asked.redirectURIGiven, pkce: asked.pkce)
            return PageRenderer.redirect(to: redirect.location([("code", code)], issuer: issuer))
        case .token:
            // The implicit grant never carries a refresh token (RFC 6749 4.2.2).
            let issued = try await ledger.issueTokens(for: grant, withRefreshToken: false)
            return PageRenderer.redirect(to: redirect.location([
                ("access_token", issued.accessToken), ("token_type", "Bearer"), ("expires_in", String(issued.expiresIn)),
                ("scope", issued.scope.joined(separator: " ")),
            ], issuer: issuer))
        }
    }
}
