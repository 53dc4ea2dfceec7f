import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import OAuth2Shared

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
///           "update_avatar": {"scope": "read-write", "method": "POST", "path": "/user/{user_id}/avatar"}}
/// }
/// ```
struct HTTPSite: ResourceServer {
    struct Endpoint: Sendable {
        let scope: String
        let method: HTTPMethod
        let path: String
    }

    enum TokenSource: Sendable {
        case cookie(String)
        case jsonField(String)
    }

    enum TokenPlacement: Sendable {
        case cookie(String)
        case header(String)
        case query(String)
    }

    let http: SiteHTTPClient
    let scopes: [String]
    let scopeDescriptions: [String: String]
    let loginPath: String
    let usernameField: String
    let passwordField: String
    let tokenSource: TokenSource
    let idField: String
    let tokenPlacement: TokenPlacement
    let endpoints: [String: Endpoint]

    /// Reads `resource_server.*`; every problem names its key.
    init(reader: inout ConfigReader, http: SiteHTTPClient) throws(ConfigError) {
        self.http = http
        scopes = reader.stringArray("resource_server.scopes") ?? ["read-only", "read-write"]
        if scopes.isEmpty { reader.fail("resource_server.scopes", "must name at least one scope") }
        var descriptions: [String: String] = [:]
        for (scope, value) in reader.object("resource_server.scope_descriptions") ?? [:] where !scope.hasPrefix("//") {
            let key = ConfigKeyPath(["resource_server", "scope_descriptions", scope])
            if !scopes.contains(scope) { reader.fail(key, "\"\(scope)\" is not one of resource_server.scopes") }
            if case .string(let text) = value { descriptions[scope] = text } else { reader.fail(key, "must be a string") }
        }
        scopeDescriptions = descriptions
        loginPath = reader.string("resource_server.login.path", default: "/login")
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
        for (function, _) in reader.object("resource_server.api") ?? [:] where !function.hasPrefix("//") {
            let base = ConfigKeyPath(["resource_server", "api", function])
            let scope = reader.string(base.appending("scope"), default: scopes.first ?? "")
            if !scopes.contains(scope) {
                reader.fail(base.appending("scope"), "\"\(scope)\" is not one of resource_server.scopes")
            }
            let path = reader.string(base.appending("path"), default: "")
            if !path.hasPrefix("/") { reader.fail(base.appending("path"), "must be a path starting with /") }
            endpoints[function] = Endpoint(
                scope: scope, method: HTTPMethod(rawValue: reader.string(base.appending("method"), default: "GET").uppercased()),
                path: path)
        }
        self.endpoints = endpoints
        guard reader.problems.isEmpty else { throw ConfigError(reader.problems) }
    }

    var functions: [String: APIFunction] {
        endpoints.mapValues { endpoint in
            APIFunction(scope: endpoint.scope) { call in try await proxy(call, to: endpoint) }
        }
    }

    func login(username: String, password: String, clientAddress: String) async throws -> LoginOutcome {
        let body = SiteTokenExtraction.formBody([(usernameField, username), (passwordField, password)])
        let site = try await http.send(
            .POST, loginPath, headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Forwarded-For", clientAddress)],
            body: ByteBuffer(string: body))
        switch site.status {
        case 200..<300:
            let json = site.json ?? [:]
            let token: String? = switch tokenSource {
            case .cookie(let name): SiteTokenExtraction.cookie(named: name, in: site.headers["Set-Cookie"])
            case .jsonField(let field): json[field].map { "\($0)" }
            }
            guard let token, !token.isEmpty else {
                throw ResourceServerUnavailable(reason: "the site's login answer carries no site token")
            }
            let id = json[idField].map { "\($0)" } ?? username
            var profile = SiteTokenExtraction.profile(from: json)
            if case .jsonField(let field) = tokenSource { profile[field] = nil }
            return .success(SiteUser(id: id, siteToken: token, profile: profile))
        case 400, 401, 403:
            return .rejected(message: "Wrong username or password.")
        default:
            throw ResourceServerUnavailable(reason: "login answered with status \(site.status)")
        }
    }

    /// Calls the site's path for this function with the user's site token, passing the
    /// client's query string and body through, and relays the answer.
    private func proxy(_ call: APICall, to endpoint: Endpoint) async throws -> Response {
        var path = endpoint.path.replacingOccurrences(
            of: "{user_id}", with: call.user.map { PercentEncoding.component($0.id) } ?? "")
        var query = call.request.uri.query.map { [$0] } ?? []
        var headers: [(String, String)] = []
        if let contentType = call.request.headers[.contentType] { headers.append(("Content-Type", contentType)) }
        if let token = call.user?.siteToken {
            switch tokenPlacement {
            case .cookie(let name): headers.append(("Cookie", "\(name)=\(token)"))
            case .header(let name): headers.append((name, token))
            case .query(let name):
                query.append("\(name)=\(PercentEncoding.component(token))")
            }
        }
        if !query.isEmpty { path += (path.contains("?") ? "&" : "?") + query.joined(separator: "&") }
        let hasBody = endpoint.method != .GET && endpoint.method != .HEAD
        return APIResponses.relay(try await http.send(endpoint.method, path, headers: headers, body: hasBody ? call.body : nil))
    }
}
