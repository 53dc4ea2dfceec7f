import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import SharedPlatform

/// `resource_server.type = "http"`: an existing site described by configuration alone
/// (`HTTPSiteOptions`, read and checked with the rest of the configuration).
struct HTTPSite: ResourceServer {
    let http: SiteHTTPClient
    let options: HTTPSiteOptions

    init(options: HTTPSiteOptions, http: SiteHTTPClient) {
        self.options = options
        self.http = http
    }

    var scopes: [String] { options.scopes }
    var scopeDescriptions: [String: String] { options.scopeDescriptions }

    /// `resource_server.claims`: each claim from the login answer's field it names.
    func claims(of user: SiteUser) -> [String: String] {
        options.claims.compactMapValues { field in user.profile[field].flatMap { $0.isEmpty ? nil : $0 } }
    }

    var functions: [String: APIFunction] {
        options.endpoints.mapValues { endpoint in
            APIFunction(scope: endpoint.scope) { call in try await proxy(call, to: endpoint) }
        }
    }

    func login(username: String, password: String, clientAddress: String) async throws -> LoginOutcome {
        let body = SiteTokenExtraction.formBody([(options.usernameField, username), (options.passwordField, password)])
        let site = try await http.send(
            .POST, options.loginPath, headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Forwarded-For", clientAddress)],
            body: ByteBuffer(string: body))
        switch site.status {
        case 200..<300:
            let json = site.json ?? [:]
            let token: String? = switch options.tokenSource {
            case .cookie(let name): SiteTokenExtraction.cookie(named: name, in: site.headers["Set-Cookie"])
            case .jsonField(let field): json[field].map { "\($0)" }
            }
            guard let token, !token.isEmpty else {
                throw ResourceServerUnavailable(reason: "the site's login answer carries no site token")
            }
            let id = json[options.idField].map { "\($0)" } ?? username
            var profile = SiteTokenExtraction.profile(from: json)
            if case .jsonField(let field) = options.tokenSource { profile[field] = nil }
            return .success(SiteUser(id: id, siteToken: token, profile: profile))
        case 400, 401, 403:
            return .rejected(message: "Wrong username or password.")
        default:
            throw ResourceServerUnavailable(reason: "login answered with status \(site.status)")
        }
    }

    /// Calls the site's path for this function with the user's site token, passing the
    /// client's query string and body through, and relays the answer.
    private func proxy(_ call: APICall, to endpoint: HTTPSiteOptions.Endpoint) async throws -> Response {
        var path = endpoint.path.replacingOccurrences(
            of: "{user_id}", with: call.user.map { PercentEncoding.component($0.id) } ?? "")
        var query = call.request.uri.query.map { [$0] } ?? []
        var headers: [(String, String)] = []
        if let contentType = call.request.headers[.contentType] { headers.append(("Content-Type", contentType)) }
        if let token = call.user?.siteToken {
            switch options.tokenPlacement {
            case .cookie(let name): headers.append(("Cookie", "\(name)=\(token)"))
            case .header(let name): headers.append((name, token))
            case .query(let name):
                query.append("\(name)=\(PercentEncoding.component(token))")
            }
        }
        if !query.isEmpty { path += (path.contains("?") ? "&" : "?") + query.joined(separator: "&") }
        let method = HTTPMethod(rawValue: endpoint.method)
        let hasBody = method != .GET && method != .HEAD
        return APIResponses.relay(try await http.send(method, path, headers: headers, body: hasBody ? call.body : nil))
    }
}
