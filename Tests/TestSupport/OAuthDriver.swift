import Crypto
import Foundation
import NIOHTTP1
import SharedPlatform
import Testing

/// Drives a server as a user's browser and a client's back end would: sign in, consent, redeem.
package struct OAuthDriver: Sendable {
    package var browser: Browser

    package init(browser: Browser) {
        self.browser = browser
    }

    /// Where the browser and the back channel send requests (the server's address by default).
    package var baseURL: String {
        get { browser.baseURL }
        set { browser.baseURL = newValue }
    }

    /// A user name no other test uses, so grants never mix across tests sharing a database.
    package static func newUser(_ name: String = "bob") -> String { "\(name).\(UUID().uuidString.prefix(8).lowercased())@example.com" }

    /// Signs in through the login form.
    @discardableResult
    package mutating func signIn(_ username: String, password: String = "password") async throws -> TestResponse {
        try await browser.signIn(username, password: password)
    }

    package static func query(_ pairs: [(String, String)]) -> String {
        pairs.map { "\($0)=\(encode($1))" }.joined(separator: "&")
    }

    package static func encode(_ value: String) -> String { PercentEncoding.component(value) }

    /// GET /authorize with these parameters.
    package mutating func authorize(_ parameters: [(String, String)]) async throws -> TestResponse {
        try await browser.get("/authorize?" + Self.query(parameters))
    }

    /// The usual code request of client `test`.
    package static func codeRequest(
        client: String = "test", redirect: String = FlowClients.redirect, scope: String? = nil, state: String? = "xyz",
        responseType: String = "code", extra: [(String, String)] = []
    ) -> [(String, String)] {
        var parameters = [("response_type", responseType), ("client_id", client), ("redirect_uri", redirect)]
        if let scope { parameters.append(("scope", scope)) }
        if let state { parameters.append(("state", state)) }
        return parameters + extra
    }

    package static func hidden(_ name: String, in page: TestResponse) -> String? {
        page.body.firstMatch(of: try! Regex(#"name="\#(name)" value="([^"]*)""#)).map { String($0.output[1].substring ?? "") }
    }

    /// Answers a consent page: Allow, or Deny (the `cancel` button).
    package mutating func answer(_ page: TestResponse, allow: Bool, scope: String? = nil) async throws -> TestResponse {
        let transaction = try #require(Self.hidden("transaction_id", in: page), "a consent page with a transaction")
        var form = [("transaction_id", transaction), ("scope", scope ?? Self.hidden("scope", in: page) ?? "")]
        form.append(allow ? ("allow", "Allow") : ("cancel", "Deny"))
        return try await browser.post("/authorize", form: form)
    }

    /// Asks for a code and allows it; returns the redirect's query parameters.
    package mutating func consentedRedirect(_ parameters: [(String, String)]) async throws -> [String: String] {
        let page = try await authorize(parameters)
        try #require(page.status == 200, "consent page expected, got \(page.status): \(page.body)")
        let decision = try await answer(page, allow: true)
        try #require(decision.status == 302)
        let location = try #require(decision.header("Location"))
        return location.contains("#") ? Self.fragment(of: location) : Self.query(of: location)
    }

    package mutating func code(_ parameters: [(String, String)] = codeRequest()) async throws -> String {
        try #require(try await consentedRedirect(parameters)["code"])
    }

    /// The code in a consent answer's redirect.
    package static func code(in decision: TestResponse) throws -> String {
        let location = try #require(decision.header("Location"))
        return try #require(query(of: location)["code"])
    }

    package static func query(of location: String) -> [String: String] {
        parameters(URLComponents(string: location)?.percentEncodedQuery ?? "")
    }

    package static func fragment(of location: String) -> [String: String] {
        parameters(location.split(separator: "#", maxSplits: 1).dropFirst().first.map(String.init) ?? "")
    }

    private static func parameters(_ encoded: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in encoded.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            result[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return result
    }

    /// POST /token (or another back-channel endpoint) as a form, with HTTP Basic when `basic` is given.
    package func post(
        _ parameters: [(String, String)], to path: String = "/token", basic: (String, String)? = nil, json: Bool = false
    ) async throws -> TestResponse {
        var headers: [(String, String)] = []
        if let (id, secret) = basic {
            headers.append(("Authorization", "Basic " + Data("\(Self.encode(id)):\(Self.encode(secret))".utf8).base64EncodedString()))
        }
        let body: String
        if json {
            headers.append(("Content-Type", "application/json"))
            body = String(decoding: try JSONSerialization.data(withJSONObject: Dictionary(parameters, uniquingKeysWith: { $1 })), as: UTF8.self)
        } else {
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            body = Self.query(parameters)
        }
        return try await browser.transport.send(baseURL + path, method: .POST, headers: headers, body: Array(body.utf8))
    }

    /// Exchanges a code as client `test` with HTTP Basic; returns the token response's JSON.
    package func exchange(_ code: String, client: String = "test", redirect: String = FlowClients.redirect) async throws -> [String: Any] {
        let response = try await post(
            [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect)],
            basic: (client, FlowClients.secrets[client] ?? ""))
        try #require(response.status == 200, "token exchange failed: \(response.status) \(response.body)")
        return try Self.json(response)
    }

    package func api(_ function: String, token: String) async throws -> TestResponse {
        try await browser.transport.send(baseURL + "/api/" + function, method: .GET, headers: [("Authorization", "Bearer \(token)")], body: nil)
    }

    package static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any], "JSON expected: \(response.body)")
    }

    /// A PKCE verifier and its S256 challenge.
    package static func pkcePair() -> (verifier: String, challenge: String) {
        let verifier = Base64URL.random(bytes: 32)
        return (verifier, Base64URL.encode(Array(SHA256.hash(data: Array(verifier.utf8)))))
    }
}
