import Crypto
import Foundation
import NIOHTTP1
import SharedPlatform
import Testing

/// The storage setups the OAuth flows run on: the embedded default, and the production shape
/// (expiring things in Redis, users and the audit log in PostgreSQL) on the servers scripts/test starts.
enum FlowBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case embedded
    case redisAndPostgres

    var testDescription: String { rawValue }

    func overrides() throws -> [String: Any] {
        switch self {
        case .embedded:
            return [:]
        case .redisAndPostgres:
            let environment = ProcessInfo.processInfo.environment
            guard let redisPort = environment["OAUTH2_TEST_REDIS_PORT"].flatMap(Int.init),
                let postgresPort = environment["OAUTH2_TEST_POSTGRES_PORT"].flatMap(Int.init)
            else { throw TestFailure("OAUTH2_TEST_REDIS_PORT/OAUTH2_TEST_POSTGRES_PORT are not set: run the tests with scripts/test") }
            let redis: [String: Any] = ["type": "Redis", "host": "127.0.0.1", "port": redisPort, "db": 4]
            let postgres: [String: Any] = [
                "type": "Postgres",
                "options": ["host": "127.0.0.1", "port": postgresPort, "user": "postgres", "password": "", "database": "oauth2", "ssl": false],
            ]
            return ["storage": [
                "default": postgres, "users": postgres, "audit": postgres,
                "session": redis.merging(["ttl": 1800]), "codes": redis.merging(["ttl": 60]),
                "tokens": redis.merging(["ttl": 7200]), "refresh_tokens": redis.merging(["ttl": 7_776_000]),
            ]]
        }
    }
}

/// The clients every OAuth test server registers: the seed's test client, a second confidential
/// client, a code-only client, a public client, and a service using client credentials.
enum FlowClients {
    static let redirect = "http://localhost:8080/"
    static let otherRedirect = "http://localhost:8080/other"
    static let publicRedirect = "http://localhost:8080/spa"

    static let file = """
        [{"id": "2", "name": "Automated tests", "client_id": "test",
          "client_secret": "2aa0c27d4a452d6bbb87e1b175f8e67ce75c000f", "client_salt": "$4$3SByu9lP$nEyg3Ezxj+5BDsi8uAdwtTeU4Is$",
          "allow_code_grant": true, "allow_implicit_grant": true, "valid_redirects": ["http://localhost:8080/"]},
         {"id": "3", "name": "Other <b>App</b>", "client_id": "other",
          "client_secret": "409d533498f9565d5d60b9d332e336af9cba515c", "client_salt": "salt-o",
          "allow_code_grant": true, "allow_implicit_grant": true, "valid_redirects": ["http://localhost:8080/other"]},
         {"id": "4", "name": "Code only", "client_id": "codeonly",
          "client_secret": "6b67bf37f48a1fd4321d5e96e0f8a278fbbd8f3f", "client_salt": "salt-c", "require_pkce": true,
          "allowed_scopes": ["read-only"],
          "allow_code_grant": true, "allow_implicit_grant": false, "allow_refresh_tokens": false,
          "valid_redirects": ["http://localhost:8080/codeonly"]},
         {"id": "5", "name": "Single page app", "client_id": "spa", "allow_code_grant": true, "allow_implicit_grant": true,
          "allow_refresh_tokens": true, "valid_redirects": ["http://localhost:8080/spa"]},
         {"id": "6", "name": "Service", "client_id": "service",
          "client_secret": "7c7e7ec257021f896ec33bd72d6af6d1fbc9d4aa", "client_salt": "salt-s",
          "allow_client_credentials_grant": true, "allowed_scopes": ["read-only"], "allow_introspection": true}]
        """

    /// Client id → secret, for the confidential ones.
    static let secrets = ["test": "hunter2", "other": "other-secret", "codeonly": "codeonly-secret", "service": "service-secret"]
}

/// Drives a server as a user's browser and a client's back end would: sign in, consent, redeem.
struct OAuthDriver {
    let server: ServerProcess
    var browser: Browser

    init(server: ServerProcess) {
        self.server = server
        self.browser = .init(server: server)
    }

    /// Where the browser and the back channel send requests (the server's address by default).
    var baseURL: String {
        get { browser.baseURL }
        set { browser.baseURL = newValue }
    }

    static func start(_ backend: FlowBackend, workers: Int = 2, overrides: [String: Any] = [:]) async throws -> ServerProcess {
        try await ServerProcess.start(workers: workers, overrides: backend.overrides().merging(overrides), clients: FlowClients.file)
    }

    /// A user name no other test uses, so grants never mix across tests sharing a database.
    static func newUser(_ name: String = "bob") -> String { "\(name).\(UUID().uuidString.prefix(8).lowercased())@example.com" }

    /// Signs in through the login form.
    @discardableResult
    mutating func signIn(_ username: String, password: String = "password") async throws -> TestResponse {
        try await browser.signIn(username, password: password)
    }

    static func query(_ pairs: [(String, String)]) -> String {
        pairs.map { "\($0)=\(encode($1))" }.joined(separator: "&")
    }

    static func encode(_ value: String) -> String { PercentEncoding.component(value) }

    /// GET /authorize with these parameters.
    mutating func authorize(_ parameters: [(String, String)]) async throws -> TestResponse {
        try await browser.get("/authorize?" + Self.query(parameters))
    }

    /// The usual code request of client `test`.
    static func codeRequest(
        client: String = "test", redirect: String = FlowClients.redirect, scope: String? = nil, state: String? = "xyz",
        responseType: String = "code", extra: [(String, String)] = []
    ) -> [(String, String)] {
        var parameters = [("response_type", responseType), ("client_id", client), ("redirect_uri", redirect)]
        if let scope { parameters.append(("scope", scope)) }
        if let state { parameters.append(("state", state)) }
        return parameters + extra
    }

    static func hidden(_ name: String, in page: TestResponse) -> String? {
        page.body.firstMatch(of: try! Regex(#"name="\#(name)" value="([^"]*)""#)).map { String($0.output[1].substring ?? "") }
    }

    /// Answers a consent page: Allow, or Deny (the `cancel` button).
    mutating func answer(_ page: TestResponse, allow: Bool, scope: String? = nil) async throws -> TestResponse {
        let transaction = try #require(Self.hidden("transaction_id", in: page), "a consent page with a transaction")
        var form = [("transaction_id", transaction), ("scope", scope ?? Self.hidden("scope", in: page) ?? "")]
        form.append(allow ? ("allow", "Allow") : ("cancel", "Deny"))
        return try await browser.post("/authorize", form: form)
    }

    /// Asks for a code and allows it; returns the redirect's query parameters.
    mutating func consentedRedirect(_ parameters: [(String, String)]) async throws -> [String: String] {
        let page = try await authorize(parameters)
        try #require(page.status == 200, "consent page expected, got \(page.status): \(page.body)")
        let decision = try await answer(page, allow: true)
        try #require(decision.status == 302)
        let location = try #require(decision.header("Location"))
        return location.contains("#") ? Self.fragment(of: location) : Self.query(of: location)
    }

    mutating func code(_ parameters: [(String, String)] = codeRequest()) async throws -> String {
        try #require(try await consentedRedirect(parameters)["code"])
    }

    /// The code in a consent answer's redirect.
    static func code(in decision: TestResponse) throws -> String {
        let location = try #require(decision.header("Location"))
        return try #require(query(of: location)["code"])
    }

    static func query(of location: String) -> [String: String] {
        parameters(URLComponents(string: location)?.percentEncodedQuery ?? "")
    }

    static func fragment(of location: String) -> [String: String] {
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
    func post(
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
        return try await TestHTTP.send(baseURL + path, method: .POST, headers: headers, body: body)
    }

    /// Exchanges a code as client `test` with HTTP Basic; returns the token response's JSON.
    func exchange(_ code: String, client: String = "test", redirect: String = FlowClients.redirect) async throws -> [String: Any] {
        let response = try await post(
            [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect)],
            basic: (client, FlowClients.secrets[client] ?? ""))
        try #require(response.status == 200, "token exchange failed: \(response.status) \(response.body)")
        return try Self.json(response)
    }

    func api(_ function: String, token: String) async throws -> TestResponse {
        try await TestHTTP.get(baseURL + "/api/" + function, headers: [("Authorization", "Bearer \(token)")])
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any], "JSON expected: \(response.body)")
    }

    /// A PKCE verifier and its S256 challenge.
    static func pkcePair() -> (verifier: String, challenge: String) {
        let verifier = Base64URL.random(bytes: 32)
        return (verifier, Base64URL.encode(Array(SHA256.hash(data: Array(verifier.utf8)))))
    }
}
