import Hummingbird

/// The existing website this server fronts (docs/integrating-your-site.md): it checks its users' passwords
/// and serves their data. A site integration implements this protocol in one Swift file and
/// registers it by name in `ResourceServerTypes`.
package protocol ResourceServer: Sendable {
    /// The site's scopes, lowest first: a token with a scope may call every function that
    /// needs that scope or a lower one.
    var scopes: [String] { get }
    /// What each scope lets a client do, in words for the consent page ("See your profile").
    var scopeDescriptions: [String: String] { get }
    /// The API offered to clients under `/api/<name>`.
    var functions: [String: APIFunction] { get }

    /// Checks a user's credentials with the site. `clientAddress` is the user's address, sent as
    /// X-Forwarded-For so the site's own defences see the user rather than this server.
    /// - Throws: `ResourceServerUnavailable` when the site cannot answer.
    func login(username: String, password: String, clientAddress: String) async throws -> LoginOutcome

    /// Extra fields for the page templates (the Node original's `set_view_context`).
    func viewContext(page: String, user: SiteUser?) -> [String: String]

    /// The OpenID Connect claims (Core 5.1) the site's login result gives for `user`, by claim
    /// name; `UserClaims` decides which a client may see.
    func claims(of user: SiteUser) -> [String: String]
}

extension ResourceServer {
    package var scopeDescriptions: [String: String] { [:] }

    package func viewContext(page: String, user: SiteUser?) -> [String: String] { [:] }

    /// The Node original's stub site: the first name it answers is `given_name`, and the username is
    /// the `email` when it is an e-mail address.
    package func claims(of user: SiteUser) -> [String: String] {
        var claims: [String: String] = [:]
        if let first = user.profile["firstName"], !first.isEmpty { claims["given_name"] = first }
        let name = user.username ?? user.id
        if UserClaims.isEmailAddress(name) { claims["email"] = name }
        return claims
    }

    /// The rank of `scope` among `scopes` (higher grants more), or nil for a scope the site does not have.
    package func rank(of scope: String) -> Int? { scopes.firstIndex(of: scope) }
}

/// The site's answer to a login.
package enum LoginOutcome: Sendable, Equatable {
    case success(SiteUser)
    /// Wrong credentials; the message is shown on the login page.
    case rejected(message: String)
}

/// One function of the site's API, as clients call it at `/api/<name>`.
package struct APIFunction: Sendable {
    /// The lowest scope a token needs to call it.
    package let scope: String
    /// False for functions a client may call with a token that has no user (client credentials).
    package let needsUser: Bool
    package let handler: @Sendable (APICall) async throws -> Response

    package init(scope: String, needsUser: Bool = true, handler: @escaping @Sendable (APICall) async throws -> Response) {
        self.scope = scope
        self.needsUser = needsUser
        self.handler = handler
    }
}

/// Everything an API function knows about the call (the Node original's `req.authInfo`).
package struct APICall: Sendable {
    package let request: Request
    package let token: AccessTokenRecord
    /// The user the token speaks for, with their `siteToken`; nil for a client's own token.
    package let user: SiteUser?
    /// The raw request body, already read (at most the server's upload limit).
    package let body: ByteBuffer
}

/// The site did not answer, or answered in a way that is not a usable answer.
package struct ResourceServerUnavailable: Error, CustomStringConvertible {
    package let reason: String
    /// True when the site was too slow rather than unreachable (504 rather than 502).
    package let timedOut: Bool

    package init(reason: String, timedOut: Bool = false) {
        self.reason = reason
        self.timedOut = timedOut
    }

    package var description: String { "the resource server is unavailable: \(reason)" }
}
