import Foundation
import Hummingbird
import Logging
import SharedPlatform
import SharedStorage

/// GET and POST /authorize: the consent dialog (RFC 6749 4.1 and 4.2). GET
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
    /// Signs the ID tokens of OpenID Connect's implicit flow.
    let idTokens: IDTokenIssuer
    /// `auth_server.url`: the login redirect's base and the `iss` of every answer.
    let issuer: String
    let metrics: OAuthMetrics
    let logger: Logger

    static let transactionKind = "authorize"

    func add(to router: some RouterMethods<WorkerRequestContext>) {
        router.get("/authorize") { request, _ in try await ask(request) }
        router.post("/authorize") { request, context in try await decide(request, context: context) }
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
        let signedIn = try await sessions.signedIn(request, users: users)
        guard let signedIn, !checked.needsSignIn(lastSignIn: signedIn.session.authTime) else {
            if checked.prompt.contains("none") {
                return PageRenderer.redirect(to: checked.redirect.location(.loginRequired("the user must sign in"), issuer: issuer))
            }
            return PageRenderer.loginRedirect(
                publicURL: issuer, returnTo: AuthorizationRequest.afterSignIn(request.uri.description), loginHint: checked.loginHint)
        }
        if let client = registry.client(checked.clientID), let remembered = try await rememberedGrant(for: checked, client: client, signedIn) {
            try await ledger.append(AuditRecord(
                event: "consent_remembered", userID: signedIn.session.userID, clientID: client.clientID,
                scope: checked.scope.joined(separator: " ")))
            return try await answer(checked, grant: remembered, client: client, userID: signedIn.session.userID)
        }
        if checked.prompt.contains("none") {
            return PageRenderer.redirect(to: checked.redirect.location(.consentRequired("the user must consent"), issuer: issuer))
        }
        let transaction = try await transactions.begin(Self.transactionKind, checked, session: signedIn.sessionID)
        let values: [String: Any] = [
            "transaction_id": transaction,
            "client": [
                "name": registry.client(checked.clientID)?.name ?? checked.clientID,
                "redirect_host": URLComponents(string: checked.redirectURI)?.host ?? "",
            ],
            "scopes": checked.scope.map { ["name": $0, "description": site.scopeDescriptions[$0] ?? OpenIDScopes.descriptions[$0] ?? ""] },
            "scope": checked.scope.joined(separator: " "),
        ]
        return pages.render("dialog", title: "Allow access?", values: values, user: signedIn.user, redirectsTo: checked.redirectURI)
    }

    private func decide(_ request: Request, context: WorkerRequestContext) async throws -> Response {
        let form: FormFields, sessionID: String, session: Session, asked: AuthorizationRequest
        switch try await PageAnswer<AuthorizationRequest>.read(
            request, context: context, kind: Self.transactionKind, sessions: sessions, transactions: transactions)
        {
        case .answered(let answer):
            (form, sessionID, session, asked) = (answer.form, answer.sessionID, answer.session, answer.question)
        case .unreadable:
            return pages.unreadableForm()
        case .expired:
            return pages.error(
                .badRequest, heading: "This request has expired",
                message: "This authorization request was already answered, has expired, or belongs to another session. Go back to the application and start again.")
        }
        // The clients file may have been reloaded since the page was shown.
        guard let client = clients().client(asked.clientID), client.allowsRedirect(asked.redirectURI) else {
            return pages.error(.badRequest, heading: "This link is not valid", message: "The application is no longer registered here.")
        }
        if form["cancel"] != nil {
            try await ledger.deny(userID: session.userID, clientID: client.clientID)
            return PageRenderer.redirect(to: asked.redirect.location(.accessDenied("the user denied access"), issuer: issuer))
        }
        let scope = scopes.approved(posted: ScopePolicy.parse(form["scope"]), offered: asked.scope)
        let grant = try await ledger.grant(
            userID: session.userID, clientID: client.clientID, scope: scope, username: session.username, authTime: session.authTime,
            sid: SessionStore.publicID(of: sessionID))
        return try await answer(asked, grant: grant, client: client, userID: session.userID)
    }

    /// The user's live grant to a client that asked to have consent remembered
    /// (`"remember_consent": true`), if it covers every requested scope and the request does not
    /// insist on the page (`prompt=consent`). The answer is given under that grant, leaving its
    /// other tokens alone, as a copy narrowed to the requested scope and naming this sign-in
    /// (the ID token's `auth_time` and `sid`).
    private func rememberedGrant(
        for asked: AuthorizationRequest, client: RegisteredClient, _ signedIn: SessionStore.SignedIn
    ) async throws -> Grant? {
        guard client.rememberConsent, !asked.prompt.contains("consent") else { return nil }
        let live = try await ledger.grants(ofUser: signedIn.session.userID)
        guard var grant = live.last(where: { $0.clientID == client.clientID && asked.scope.allSatisfy($0.scope.contains) }) else { return nil }
        grant = Grant(
            id: grant.id, userID: grant.userID, clientID: grant.clientID, scope: asked.scope, createdAt: grant.createdAt,
            username: grant.username, authTime: signedIn.session.authTime, sid: SessionStore.publicID(of: signedIn.sessionID))
        return grant
    }

    /// The code or tokens for `grant`, at the client's redirect URI.
    private func answer(_ asked: AuthorizationRequest, grant: Grant, client: RegisteredClient, userID: String) async throws -> Response {
        let redirect = asked.redirect
        switch asked.responseType {
        case .code:
            let code = try await ledger.codeExchange.issue(
                for: grant, redirectURI: asked.redirectURI, redirectURIGiven: asked.redirectURIGiven, pkce: asked.pkce, nonce: asked.nonce)
            return PageRenderer.redirect(to: redirect.location([("code", code)], issuer: issuer))
        case .token:
            // The implicit grant never carries a refresh token (RFC 6749 4.2.2).
            let issued = try await ledger.issueTokens(for: grant, withRefreshToken: false)
            metrics.tokenIssued(grantType: "implicit", client: client)
            return PageRenderer.redirect(to: redirect.location([
                ("access_token", issued.accessToken), ("token_type", "Bearer"), ("expires_in", String(issued.expiresIn)),
                ("scope", issued.scope.joined(separator: " ")),
            ], issuer: issuer))
        case .idToken, .idTokenToken:
            return try await implicitOpenID(asked, grant: grant, client: client, userID: userID)
        }
    }

    /// OpenID Connect's implicit flow (Core 3.2.2.5): the ID token, with an access token for
    /// `id_token token`, in the fragment. Without an access token the ID token carries the
    /// profile and email claims itself (Core 5.4).
    private func implicitOpenID(_ asked: AuthorizationRequest, grant: Grant, client: RegisteredClient, userID: String) async throws -> Response {
        var parameters: [(String, String)] = []
        var accessToken: String?
        var userClaims: [String: String] = [:]
        if asked.responseType == .idTokenToken {
            let issued = try await ledger.issueTokens(for: grant, withRefreshToken: false)
            accessToken = issued.accessToken
            parameters = [
                ("access_token", issued.accessToken), ("token_type", "Bearer"), ("expires_in", String(issued.expiresIn)),
                ("scope", issued.scope.joined(separator: " ")),
            ]
        } else if let user = try await users.user(userID) {
            userClaims = UserClaims.released(site.claims(of: user), subject: userID, scope: grant.scope)
        }
        let idToken = try await idTokens.idToken(
            for: grant, userID: userID, client: client, accessToken: accessToken, nonce: asked.nonce, userClaims: userClaims)
        return PageRenderer.redirect(to: asked.redirect.location(parameters + [("id_token", idToken)], issuer: issuer))
    }
}
