/// What each `resource_server.type` reads from the `resource_server` section beyond the
/// connection keys every type shares. They are read here, with the rest of the configuration,
/// so that `check-config`, the supervisor and every worker refuse the same files for the same
/// reasons. A new site integration adds its case here and its `ResourceServer` in the worker.
package enum SiteOptions: Sendable, Equatable {
    /// The built-in stub site: nothing beyond the connection keys.
    case dummy
    case http(HTTPSiteOptions)

    package static let typeNames = ["dummy", "http"]

    /// The options of `type`, one of `typeNames` (its declaration, `Settings.ResourceServer.type`,
    /// has refused any other).
    static func read(type: String, reader: inout ConfigReader) -> SiteOptions {
        switch type {
        case "http": .http(HTTPSiteOptions(reader: &reader))
        default: .dummy
        }
    }
}

/// `resource_server.type = "http"`: an existing site described by configuration alone — its
/// login form, where its login puts the user's site token (a cookie or a JSON field), how its
/// API expects that token back, and which API paths clients may reach with which scope.
///
/// ```json
/// "resource_server": {
///   "type": "http", "host": "www.example.com", "port": 443, "ssl": true,
///   "basic_auth": "user:pass", "user_agent": "OAuth-IdP",
///   "scopes": ["read-only", "read-write"],
///   "scope_descriptions": {"read-only": "See your profile", "read-write": "Change your profile"},
///   "login": {"path": "/login", "username_field": "email", "password_field": "password",
///             "token_cookie": "remember_me", "id_field": "id"},
///   "site_token": {"send_as": "cookie", "name": "remember_me"},
///   "api": {"profile": {"scope": "read-only", "method": "GET", "path": "/user/info"},
///           "update_avatar": {"scope": "read-write", "method": "POST", "path": "/user/{user_id}/avatar"}},
///   "claims": {"given_name": "first_name", "family_name": "last_name", "email": "email"}
/// }
/// ```
package struct HTTPSiteOptions: Sendable, Equatable {
    package struct Endpoint: Sendable, Equatable {
        package let scope: String
        /// Upper case: one of `HTTPSiteOptions.methods`.
        package let method: String
        package let path: String

        package init(scope: String, method: String, path: String) {
            self.scope = scope
            self.method = method
            self.path = path
        }
    }

    /// Where the site's login answer carries the user's site token.
    package enum TokenSource: Sendable, Equatable {
        case cookie(String)
        case jsonField(String)
    }

    /// How API calls hand the site token back to the site.
    package enum TokenPlacement: Sendable, Equatable {
        case cookie(String)
        case header(String)
        case query(String)
    }

    package static let methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]

    package let scopes: [String]
    package let scopeDescriptions: [String: String]
    package let loginPath: String
    package let usernameField: String
    package let passwordField: String
    package let tokenSource: TokenSource
    package let idField: String
    package let tokenPlacement: TokenPlacement
    package let endpoints: [String: Endpoint]
    /// OpenID Connect claim → the field of the login answer that holds it (`resource_server.claims`).
    package let claims: [String: String]

    /// The standard claims (OpenID Connect Core 1.0, 5.1) a site's login answer may provide.
    package static let mappableClaims = [
        "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username", "picture", "website", "locale",
        "zoneinfo", "email", "email_verified",
    ]

    /// Reads `resource_server.*`; every problem names its key.
    init(reader: inout ConfigReader) {
        let scopes = reader.read(Settings.HTTPSite.scopes)
        if scopes.isEmpty { reader.fail(Settings.HTTPSite.scopes.key, "must name at least one scope") }
        self.scopes = scopes
        var descriptions: [String: String] = [:]
        for scope in (reader.object("resource_server.scope_descriptions") ?? [:]).keys.sorted() where !scope.hasPrefix("//") {
            let key = Settings.HTTPSite.scopeDescription.key.filling(scope)
            if !scopes.contains(scope) { reader.fail(key, "\"\(scope)\" is not one of resource_server.scopes") }
            descriptions[scope] = reader.read(Settings.HTTPSite.scopeDescription, for: scope)
        }
        scopeDescriptions = descriptions
        loginPath = reader.read(Settings.HTTPSite.loginPath)
        if !loginPath.hasPrefix("/") { reader.fail(Settings.HTTPSite.loginPath.key, "must be a path starting with /") }
        usernameField = reader.read(Settings.HTTPSite.usernameField)
        passwordField = reader.read(Settings.HTTPSite.passwordField)
        idField = reader.read(Settings.HTTPSite.idField)
        switch (reader.read(Settings.HTTPSite.tokenCookie), reader.read(Settings.HTTPSite.tokenField)) {
        case (let cookie?, nil): tokenSource = .cookie(cookie)
        case (nil, let field?): tokenSource = .jsonField(field)
        default:
            reader.fail("resource_server.login", "set exactly one of token_cookie (a cookie the login sets) or token_field (a field of its JSON answer)")
            tokenSource = .cookie("")
        }
        let name = reader.read(Settings.HTTPSite.siteTokenName)
        switch reader.read(Settings.HTTPSite.siteTokenSendAs) {
        case "header": tokenPlacement = .header(name)
        case "query": tokenPlacement = .query(name)
        default: tokenPlacement = .cookie(name)
        }
        var endpoints: [String: Endpoint] = [:]
        for function in (reader.object("resource_server.api") ?? [:]).keys.sorted() where !function.hasPrefix("//") {
            let base = ConfigKeyPath(["resource_server", "api", function])
            // Not an object: object() has named the problem.
            guard reader.object(base) != nil else { continue }
            let scope = reader.read(Settings.HTTPSite.apiScope, for: function) ?? scopes.first ?? ""
            if !scopes.contains(scope) {
                reader.fail(base.appending("scope"), "\"\(scope)\" is not one of resource_server.scopes")
            }
            let path = reader.read(Settings.HTTPSite.apiPath, for: function) ?? ""
            if !path.hasPrefix("/") { reader.fail(base.appending("path"), "must be a path starting with /") }
            let method = reader.read(Settings.HTTPSite.apiMethod, for: function)
            endpoints[function] = Endpoint(scope: scope, method: method, path: path)
        }
        self.endpoints = endpoints
        var claims: [String: String] = [:]
        for claim in (reader.object("resource_server.claims") ?? [:]).keys.sorted() where !claim.hasPrefix("//") {
            if !Self.mappableClaims.contains(claim) {
                reader.fail(Settings.HTTPSite.claim.key.filling(claim),
                    "\"\(claim)\" is not a standard claim a site may provide (\(Self.mappableClaims.joined(separator: ", ")))")
            }
            claims[claim] = reader.read(Settings.HTTPSite.claim, for: claim)
        }
        self.claims = claims
    }
}
