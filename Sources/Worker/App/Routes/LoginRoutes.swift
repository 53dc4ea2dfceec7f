import Foundation
import Hummingbird
import Logging
import SharedPlatform

/// `/login` and `/logout`: the user signs in with the site's own credentials (docs/operators.md, sessions and the login page).
/// The password goes to the site and nowhere else: it is neither stored nor logged.
struct LoginRoutes: Sendable {
    let sessions: SessionStore
    let formTokens: LoginFormTokens
    let pages: PageRenderer
    let site: any ResourceServer
    let users: UserDirectory
    let clients: @Sendable () -> ClientRegistry
    let throttle: Throttle
    let behindProxy: Bool
    let metrics: OAuthMetrics
    let logger: Logger

    func add(to router: some RouterMethods<WorkerRequestContext>) {
        router.get("/login") { request, _ in try await showLogin(request) }
        router.post("/login") { request, context in try await login(request, context: context) }
        router.get("/logout") { request, _ in try await logout(request) }
    }

    private func showLogin(_ request: Request) async throws -> Response {
        let user = try await sessions.signedIn(request, users: users)?.user
        // OpenID Connect's login_hint, passed on by /authorize: the username, pre-filled (escaped by the template).
        let hint = request.uri.queryParameters["login_hint"].map(String.init) ?? ""
        return loginPage(
            status: .ok, returnTo: Self.localPath(request.uri.queryParameters["return_to"].map(String.init)),
            username: String(hint.prefix(256)), user: user)
    }

    private func login(_ request: Request, context: WorkerRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard let form = FormFields.form(body) else {
            return pages.error(.badRequest, heading: "Sign-in failed", message: "The form could not be read.", link: "/login")
        }
        // The form must come from a page this server gave this browser, and be used once.
        guard try await formTokens.redeem(field: form["_csrf"], in: request) else {
            return pages.error(.forbidden, heading: "Sign-in failed", message: "This form has expired. Please sign in again.", link: "/login")
        }
        let returnTo = Self.localPath(form["return_to"])
        let username = form["username"].map { String(HeaderText.trimmed($0[...])) } ?? ""
        guard !username.isEmpty, let password = form["password"], !password.isEmpty else {
            return loginPage(status: .badRequest, returnTo: returnTo, username: username, message: "Enter your username and password.")
        }
        // Guessing is throttled per user and per address, before the site is asked anything.
        let address = ClientAddress.of(request, context: context, behindProxy: behindProxy)
        let (userKey, addressKey) = (ThrottleKey.loginUser(username, address: address), ThrottleKey.loginAddress(address))
        async let userDecision = throttle.check(userKey)
        let addressDecision = await throttle.check(addressKey)
        var hadFailures = false
        for decision in [await userDecision, addressDecision] {
            switch decision {
            case .wait(let wait):
                metrics.login(.throttled)
                return throttledPage(wait, returnTo: returnTo, username: username)
            case .proceed(let failures):
                hadFailures = hadFailures || failures
            }
        }
        let outcome: LoginOutcome
        do {
            outcome = try await site.login(username: username, password: password, clientAddress: address)
        } catch let error as ResourceServerUnavailable {
            logger.warning("login: \(error)")
            metrics.login(.unavailable)
            return loginPage(status: .serviceUnavailable, returnTo: returnTo, username: username,
                             message: "Sign-in is not possible right now: the site cannot check passwords. Please try again in a moment.")
        }
        switch outcome {
        case .rejected(let message):
            logger.info("login rejected for a user of the site")
            metrics.login(.rejected)
            async let userWait = throttle.failed(userKey)
            let addressWait = await throttle.failed(addressKey)
            _ = await userWait
            _ = addressWait
            return loginPage(status: .unauthorized, returnTo: returnTo, username: username, message: message)
        case .success(var user):
            metrics.login(.success)
            await throttle.succeeded(userKey, hadFailures: hadFailures)
            user.username = username
            try await users.save(user)
            // A new session id at every sign-in keeps an id planted before (session fixation)
            // from becoming a signed-in session.
            let previous = try await sessions.load(request)?.id
            let (_, cookie) = try await sessions.create(Session(userID: user.id, username: username, authTime: Date()), replacing: previous)
            var response = PageRenderer.redirect(.seeOther, to: returnTo ?? "/login")
            response.setCookie(cookie)
            response.setCookie(formTokens.spentCookie)
            return response
        }
    }

    /// The sign-in page again, refusing to try: too many failed sign-ins from this address, or
    /// for this user from it. The wait is said in words and in Retry-After.
    private func throttledPage(_ wait: Duration, returnTo: String?, username: String) -> Response {
        let seconds = Throttle.wholeSeconds(wait)
        var response = loginPage(
            status: .tooManyRequests, returnTo: returnTo, username: username,
            message: "Too many failed sign-ins. Please wait \(Self.spoken(seconds)) before you try again.")
        response.headers[.retryAfter] = String(seconds)
        return response
    }

    /// "1 second", "40 seconds", "2 minutes", "1 hour": rounded up, so waiting that long is enough.
    static func spoken(_ seconds: Int) -> String {
        func unit(_ count: Int, _ name: String) -> String { count == 1 ? "1 \(name)" : "\(count) \(name)s" }
        if seconds < 60 { return unit(seconds, "second") }
        if seconds < 3600 { return unit((seconds + 59) / 60, "minute") }
        return unit((seconds + 3599) / 3600, "hour")
    }

    /// Ends the session. It redirects only to a URI some client registered, so it cannot be used
    /// to send a user anywhere else (an open redirect); otherwise 204.
    private func logout(_ request: Request) async throws -> Response {
        if let (id, _) = try await sessions.load(request) { try await sessions.destroy(id) }
        var response: Response
        if let target = request.uri.queryParameters["redirect_uri"].map(String.init),
            clients().clients.contains(where: { !$0.acceptsAnyRedirect && $0.validRedirects.contains(target) })
        {
            response = PageRenderer.redirect(to: target)
        } else {
            response = Response(status: .noContent)
            PageRenderer.protect(&response)
        }
        response.setCookie(sessions.expiredCookie)
        return response
    }

    /// The sign-in form, with a fresh anti-CSRF token (and its cookie) every time it is shown.
    private func loginPage(
        status: HTTPResponse.Status, returnTo: String?, username: String = "", message: String? = nil, user: SiteUser? = nil
    ) -> Response {
        let (csrf, cookie) = formTokens.issue()
        var values: [String: Any] = ["csrf": csrf, "return_to": returnTo ?? "", "username": username]
        if let message { values["message"] = message }
        var response = pages.render("login", title: "Sign in", status: status, values: values, user: user)
        response.setCookie(cookie)
        return response
    }

    /// A path on this server to come back to after signing in; anything else (another site,
    /// `//host`, a backslash trick) is ignored. Browsers drop tabs and newlines from URLs and
    /// trim spaces, so `/<TAB>/evil.example/` would become `//evil.example/`: no control
    /// character or whitespace of any kind is accepted.
    static func localPath(_ candidate: String?) -> String? {
        guard let candidate, candidate.hasPrefix("/"), !candidate.hasPrefix("//"), !candidate.contains("\\"),
            !candidate.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control })
        else { return nil }
        return candidate
    }
}
