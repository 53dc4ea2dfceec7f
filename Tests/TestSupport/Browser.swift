import Foundation
import NIOHTTP1
import Testing

/// A browser's cookie jar and form handling, for one server (or, through `baseURL`, for several
/// hosts that share their sessions).
package struct Browser: Sendable {
    /// How requests reach the server: a socket to a process, or the worker's responder in process.
    package let transport: any HTTPTransport
    /// Where requests go: the server's own address unless the test points the browser elsewhere
    /// (another host of the same deployment, or a load balancer in front of them).
    package var baseURL: String
    /// Cookies by name (this server sets no two with one name on different paths).
    package var cookies: [String: String] = [:]

    package init(transport: any HTTPTransport, baseURL: String, sid: String? = nil) {
        self.transport = transport
        self.baseURL = baseURL
        self.sid = sid
    }

    /// The session cookie.
    package var sid: String? {
        get { cookies["sid"] }
        set { cookies["sid"] = newValue }
    }

    package mutating func get(_ path: String) async throws -> TestResponse {
        let response = try await transport.send(baseURL + path, method: .GET, headers: cookieHeader, body: nil)
        remember(response)
        return response
    }

    package mutating func post(_ path: String, form: [(String, String)], headers: [(String, String)] = []) async throws -> TestResponse {
        let body = form.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        let response = try await transport.send(
            baseURL + path, method: .POST,
            headers: cookieHeader + [("Content-Type", "application/x-www-form-urlencoded")] + headers, body: Array(body.utf8))
        remember(response)
        return response
    }

    package var cookieHeader: [(String, String)] {
        cookies.isEmpty ? [] : [("Cookie", cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))]
    }

    private mutating func remember(_ response: TestResponse) {
        for cookie in response.headers["Set-Cookie"] {
            let pair = cookie.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            cookies[String(pair[0])] = pair[1].isEmpty ? nil : String(pair[1])
        }
    }

    /// Signs in through the login form, as a person would: fetches the form, then posts it with
    /// its anti-CSRF token and any `extra` fields.
    @discardableResult
    package mutating func signIn(
        _ username: String, password: String = "password", extra: [(String, String)] = [], headers: [(String, String)] = []
    ) async throws -> TestResponse {
        let csrf = try #require(Self.csrf(in: try await get("/login")), "a sign-in form")
        return try await post("/login", form: [("username", username), ("password", password), ("_csrf", csrf)] + extra, headers: headers)
    }

    package static func csrf(in page: TestResponse) -> String? {
        page.body.firstMatch(of: #/name="_csrf" value="([^"]+)"/#).map { String($0.1) }
    }
}
