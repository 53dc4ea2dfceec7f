/// What each `resource_server.type` reads from the `resource_server` section beyond the
/// connection keys every type shares. They are read here, with the rest of the configuration,
/// so that `check-config`, the supervisor and every worker refuse the same files for the same
/// reasons. A new site integration adds its case here and its `ResourceServer` in the worker.
public enum SiteOptions: Sendable, Equatable {
    /// The built-in stub site: nothing beyond the connection keys.
    case dummy
    case http(HTTPSiteOptions)

    public static let typeNames = ["dummy", "http"]

    /// The options of `type`, or nil (with a problem recorded) for a type no integration has.
    static func read(type: String, reader: inout ConfigReader) -> SiteOptions? {
        switch type {
        case "dummy": return .dummy
        case "http": return .http(HTTPSiteOptions(reader: &reader))
        default:
            reader.fail("resource_server.type", "unknown resource server type \"\(type)\"; known types: \(typeNames.joined(separator: ", "))")
            return nil
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
public struct HTTPSiteOptions: Sendable, Equatable {
    public struct Endpoint: Sendable, Equatable {
        public let scope: String
        /// Upper case: one of `HTTPSiteOptions.methods`.
        public let method: String
        public let path: String

        public init(scope: String, method: String, path: String) {
            self.scope = scope
            self.method = method
            self.path = path
        }
    }

    /// Where the site's login answer carries the user's site token.
    public enum TokenSource: Sendable, Equatable {
        case cookie(String)
        case jsonField(String)
    }

    /// How API calls hand the site token back to the site.
    public enum TokenPlacement: Sendable, Equatable {
        case cookie(String)
        case header(String)
        case query(String)
    }

    public static let methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]

    public let scopes: [String]
    public let scopeDescriptions: [String: String]
    public let loginPath: String
    public let usernameField: String
    public let passwordField: String
    public let tokenSource: TokenSource
    public let idField: String
    public let tokenPlacement: TokenPlacement
    public let endpoints: [String: Endpoint]
    /// OpenID Connect claim → the field of the login answer that holds it (`resource_server.claims`).
    public let claims: [String: String]

    /// The standard claims (OpenID Connect Core 1.0, 5.1) a site's login answer may provide.
    public static let mappableClaims = [
        "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username", "picture", "website", "locale",
        "zoneinfo", "email", "email_verified",
    ]

    /// Reads `resource_server.*`; every problem names its key.
    init(reader: inout ConfigReader) {
        let scopes = reader.stringArray("resource_server.scopes") ?? ["read-only", "read-write"]
        if scopes.isEmpty { reader.fail("resource_server.scopes", "must name at least one scope") }
        self.scopes = scopes
        var descriptions: [String: String] = [:]
        for scope in (reader.object("resource_server.scope_descriptions") ?? [:]).keys.sorted() where !scope.hasPrefix("//") {
            let key = ConfigKeyPath(["resource_server", "scope_descriptions", scope])
            if !scopes.contains(scope) { reader.fail(key, "\"\(scope)\" is not one of resource_server.scopes") }
            descriptions[scope] = reader.string(key)
        }
        scopeDescriptions = descriptions
        loginPath = reader.string("resource_server.login.path", default: "/login")
        if !loginPath.hasPrefix("/") { reader.fail("resource_server.login.path", "must be a path starting with /") }
        usernameField = reader.string("resource_server.login.username_field", default: "username")
        passwordField = reader.string("resource_server.login.password_field", default: "password")
        idField = reader.string("resource_server.login.id_field", default: "id")
        switch (reader.string("resource_server.login.token_cookie"), reader.string("resource_server.login.token_field")) {
        case (let cookie?, nil): tokenSource = .cookie(cookie)
        case (nil, let field?): tokenSource = .jsonField(field)
        default:
            reader.fail("resource_server.login", "set exactly one of token_cookie (a cookie the login sets) or token_field (a field of its JSON answer)")
            tokenSource = .cookie("")
        }
        let name = reader.string("resource_server.site_token.name", default: "token")
        switch reader.string("resource_server.site_token.send_as", default: "cookie") {
        case "cookie": tokenPlacement = .cookie(name)
        case "header": tokenPlacement = .header(name)
        case "query": tokenPlacement = .query(name)
        case let other:
            reader.fail("resource_server.site_token.send_as", "must be cookie, header or query, not \"\(other)\"")
            tokenPlacement = .cookie(name)
        }
        var endpoints: [String: Endpoint] = [:]
        for function in (reader.object("resource_server.api") ?? [:]).keys.sorted() where !function.hasPrefix("//") {
            let base = ConfigKeyPath(["resource_server", "api", function])
            // Not an object: object() has named the problem.
            guard reader.object(base) != nil else { continue }
            let scope = reader.string(base.appending("scope"), default: scopes.first ?? "")
            if !scopes.contains(scope) {
                reader.fail(base.appending("scope"), "\"\(scope)\" is not one of resource_server.scopes")
            }
            let path = reader.string(base.appending("path"), default: "")
            if !path.hasPrefix("/") { reader.fail(base.appending("path"), "must be a path starting with /") }
            let method = reader.string(base.appending("method"), default: "GET").uppercased()
            if !Self.methods.contains(method) {
                reader.fail(base.appending("method"), "must be one of \(Self.methods.joined(separator: ", ")), not \"\(method)\"")
            }
            endpoints[function] = Endpoint(scope: scope, method: method, path: path)
        }
        self.endpoints = endpoints
        var claims: [String: String] = [:]
        for claim in (reader.object("resource_server.claims") ?? [:]).keys.sorted() where !claim.hasPrefix("//") {
            let key = ConfigKeyPath(["resource_server", "claims", claim])
            if !Self.mappableClaims.contains(claim) {
                reader.fail(key, "\"\(claim)\" is not a standard claim a site may provide (\(Self.mappableClaims.joined(separator: ", ")))")
            }
            claims[claim] = reader.string(key)
        }
        self.claims = claims
    }
}
