import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import SharedPlatform

/// One browser (cookies, forms) and the client it signs in to, speaking to the server over
/// real sockets. Anything unexpected is thrown with the step that met it.
struct Browser: Sendable {
    let http: HTTPClient
    let base: String
    let clientID: String
    let secret: String
    let redirectURI: String

    /// GET /login, POST /login, GET /authorize, POST /authorize, POST /token.
    static let requestsPerFullFlow = 5

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    struct Tokens {
        let accessToken: String
        let refreshToken: String
    }

    /// Signs in as a new user, consents and exchanges the code, with PKCE.
    func fullFlow(username: String) async throws {
        let verifier = Base64URL.random(bytes: 32)
        let challenge = Base64URL.encode(SHA256.hash(data: Array(verifier.utf8)))
        let session = try await signIn(username: username, returnTo: authorizePath(challenge: challenge))
        let code = try await consent(session: session, challenge: challenge, alreadyAsked: true)
        _ = try await exchange(code: code, verifier: verifier)
    }

    /// The signed-in session's `Cookie` header value.
    func signIn(username: String, returnTo: String? = nil) async throws -> String {
        let loginPath = "/login" + (returnTo.map { "?return_to=" + Self.formEncoded($0) } ?? "")
        let page = try await send(.GET, loginPath)
        guard page.status == 200, let formToken = page.cookies["login_form"], let csrf = Self.field("_csrf", in: page.body) else {
            throw Failure(description: "GET /login answered \(page.status) without a form token")
        }
        let form = [("_csrf", csrf), ("return_to", returnTo ?? ""), ("username", username), ("password", "password")]
        let answer = try await send(.POST, "/login", cookie: "login_form=\(formToken)", form: form)
        guard answer.status == 303, let session = answer.cookies["sid"].map({ "sid=\($0)" }) else {
            throw Failure(description: "POST /login answered \(answer.status)")
        }
        if let returnTo {
            guard answer.location == returnTo else { throw Failure(description: "POST /login went to \(answer.location ?? "nowhere")") }
        }
        return session
    }

    /// GET and POST /authorize: the consent page, then Allow; returns the code (for `client`,
    /// by default the browser's client).
    func consent(session: String, challenge: String?, alreadyAsked: Bool = false, client: String? = nil) async throws -> String {
        let page = try await send(.GET, authorizePath(challenge: challenge, client: client), cookie: session)
        guard page.status == 200, let transaction = Self.field("transaction_id", in: page.body),
            let scope = Self.field("scope", in: page.body)
        else { throw Failure(description: "GET /authorize answered \(page.status) without a consent form") }
        let answer = try await send(
            .POST, "/authorize", cookie: session, form: [("transaction_id", transaction), ("scope", scope), ("allow", "Allow")])
        guard answer.status == 302, let location = answer.location, let query = URLComponents(string: location)?.queryItems,
            let code = query.first(where: { $0.name == "code" })?.value
        else { throw Failure(description: "POST /authorize answered \(answer.status) without a code") }
        return code
    }

    /// The Basic credentials of `client` (the same secret for every benchmark client).
    func basicAuthorization(_ client: String? = nil) -> String {
        "Basic " + Data("\(client ?? clientID):\(secret)".utf8).base64EncodedString()
    }

    /// POST /token with the authorization code grant.
    func exchange(code: String, verifier: String?, client: String? = nil) async throws -> Tokens {
        var form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI)]
        if let verifier { form.append(("code_verifier", verifier)) }
        let answer = try await send(.POST, "/token", form: form, authorization: basicAuthorization(client))
        guard answer.status == 200,
            let json = try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any],
            let access = json["access_token"] as? String
        else { throw Failure(description: "POST /token answered \(answer.status): \(answer.body.prefix(200))") }
        return Tokens(accessToken: access, refreshToken: json["refresh_token"] as? String ?? "")
    }

    private func authorizePath(challenge: String?, client: String? = nil) -> String {
        var path = "/authorize?response_type=code&client_id=\(Self.formEncoded(client ?? clientID))"
            + "&redirect_uri=\(Self.formEncoded(redirectURI))"
            + "&scope=read-only&state=bench"
        if let challenge { path += "&code_challenge=\(challenge)&code_challenge_method=S256" }
        return path
    }

    // MARK: - HTTP

    private struct Answer {
        let status: Int
        let body: String
        /// The cookies the answer set, by name.
        let cookies: [String: String]
        let location: String?
    }

    private func send(
        _ method: HTTPMethod, _ path: String, cookie: String? = nil, form: [(String, String)]? = nil, authorization: String? = nil
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form.map { "\($0.0)=\(Self.formEncoded($0.1))" }.joined(separator: "&")))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        var cookies: [String: String] = [:]
        for header in response.headers["Set-Cookie"] {
            let pair = header.prefix { $0 != ";" }.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { cookies[String(pair[0])] = String(pair[1]) }
        }
        return Answer(
            status: Int(response.status.code), body: String(buffer: body), cookies: cookies, location: response.headers.first(name: "Location"))
    }

    /// The value of a hidden form field in a page.
    private static func field(_ name: String, in page: String) -> String? {
        guard let start = page.range(of: "name=\"\(name)\" value=\"") else { return nil }
        let value = page[start.upperBound...].prefix { $0 != "\"" }
        return String(value)
    }

    private static func formEncoded(_ value: String) -> String { PercentEncoding.component(value) }
}
