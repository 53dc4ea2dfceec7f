import Foundation
import NIOHTTP1
import SharedStorage
import TestSupport
import Testing

/// POST /token in process: the grants' rules (PKCE, public clients, client credentials, scopes on
/// refresh) and every broken request answered as RFC 6749 5.2 JSON with the right status.
@Suite struct TokenRequestTests {
    /// Everything a broken or hostile client sends in a request's headers and body: every answer
    /// is an RFC 6749 5.2 JSON error with the right status, never a 500. (What only a socket
    /// carries, broken framing, is `IntegrationTests.TokenEndpointTests`'.)
    @Test func malformedRequestsGetJSONErrorsWithTheRightStatus() async throws {
        try await WorkerHarness.run { worker in
            let basic = ("Authorization", "Basic " + Data("test:hunter2".utf8).base64EncodedString())
            let form = ("Content-Type", "application/x-www-form-urlencoded")
            func post(_ headers: [(String, String)], _ body: String) async throws -> TestResponse {
                try await post(headers, bytes: Array(body.utf8))
            }
            func post(_ headers: [(String, String)], bytes: [UInt8]) async throws -> TestResponse {
                try await worker.send(worker.baseURL + "/token", method: .POST, headers: headers, body: bytes)
            }
            func expectError(_ response: TestResponse, _ status: Int, _ error: String, _ what: String) throws {
                #expect(response.status == status, "\(what): \(response.status) \(response.body)")
                let json = try OAuthDriver.json(response)
                #expect(json["error"] as? String == error, "\(what): \(response.body)")
                #expect(json["error_description"] is String, "\(what)")
                #expect(response.header("Cache-Control") == "no-store", "\(what)")
            }

            try expectError(try await post([form], "grant_type=authorization_code&code=x"), 401, "invalid_client", "no client credentials")
            let wrongSecret = try await post(
                [form, ("Authorization", "Basic " + Data("test:nope".utf8).base64EncodedString())], "grant_type=authorization_code&code=x")
            try expectError(wrongSecret, 401, "invalid_client", "wrong secret")
            #expect(wrongSecret.header("WWW-Authenticate")?.hasPrefix("Basic") == true)
            try expectError(try await post(
                [form, ("Authorization", "Basic " + Data("nobody:x".utf8).base64EncodedString())], "grant_type=authorization_code&code=x"),
                401, "invalid_client", "unknown client")
            try expectError(try await post([form, ("Authorization", "Basic %%%not-base64")], "grant_type=authorization_code"),
                            400, "invalid_request", "bad Base64")
            try expectError(try await post([form, basic], bytes: Array("grant_type=x&code=".utf8) + [0xFF, 0xFE]),
                            400, "invalid_request", "invalid UTF-8")
            try expectError(try await post([form, basic], "grant_type=a&grant_type=b"), 400, "invalid_request", "a repeated parameter")
            try expectError(try await post([("Content-Type", "application/json"), basic], "{\"grant_type\":"),
                            400, "invalid_request", "broken JSON")
            try expectError(try await post([("Content-Type", "application/json"), basic], "[1,2]"),
                            400, "invalid_request", "JSON that is not an object")
            try expectError(try await post([("Content-Type", "application/json"), basic], #"{"grant_type": {"nested": true}}"#),
                            400, "invalid_request", "a JSON value that is not a string")
            try expectError(try await post([("Content-Type", "text/plain"), basic], "grant_type=x"),
                            400, "invalid_request", "an unsupported content type")
            try expectError(try await post([form, basic], ""), 400, "invalid_request", "no grant_type")
            try expectError(try await post([form, basic], "grant_type=password&username=a&password=b"),
                            400, "unsupported_grant_type", "the password grant")
            try expectError(try await post([form, basic], "grant_type=authorization_code"), 400, "invalid_request", "no code")
            try expectError(try await post([form, basic], "grant_type=authorization_code&code=never-issued"),
                            400, "invalid_grant", "an unknown code")
            try expectError(try await post([form, basic], "grant_type=client_credentials&client_secret=hunter2"),
                            400, "invalid_request", "credentials sent two ways")
            try expectError(try await post([form, basic], bytes: Array(repeating: UInt8(ascii: "a"), count: (1 << 20) + 1)),
                            413, "invalid_request", "a body over 1 MiB")

            // After all that, the worker is fine and serves a good request.
            var driver = OAuthDriver(worker)
            try await driver.signIn(OAuthDriver.newUser())
            _ = try await driver.exchange(try await driver.code())
            #expect(!worker.log.text.contains(" 500 "), "no request ended in a 500")
            #expect(!worker.log.text.contains("unhandled error"), "no client mistake is logged as the server's error")
        }
    }

    @Test func pkceBindsTheCodeToItsVerifier() async throws {
        try await WorkerHarness.run { worker in
            var driver = OAuthDriver(worker)
            try await driver.signIn(OAuthDriver.newUser())
            func redeem(_ code: String, verifier: String?) async throws -> TestResponse {
                var parameters = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", FlowClients.redirect)]
                if let verifier { parameters.append(("code_verifier", verifier)) }
                return try await driver.post(parameters, basic: ("test", "hunter2"))
            }
            func codeWithChallenge(_ challenge: String, method: String = "S256") async throws -> String {
                try await driver.code(OAuthDriver.codeRequest(extra: [("code_challenge", challenge), ("code_challenge_method", method)]))
            }
            let pair = OAuthDriver.pkcePair()

            #expect(try await redeem(try await codeWithChallenge(pair.challenge), verifier: pair.verifier).status == 200)
            let missing = try await redeem(try await codeWithChallenge(pair.challenge), verifier: nil)
            #expect(missing.status == 400 && missing.body.contains("invalid_grant"))
            let wrong = try await redeem(try await codeWithChallenge(pair.challenge), verifier: OAuthDriver.pkcePair().verifier)
            #expect(wrong.status == 400 && wrong.body.contains("invalid_grant"))
            // A verifier for a code issued without a challenge: the challenge was stripped (downgrade).
            let downgrade = try await redeem(try await driver.code(), verifier: pair.verifier)
            #expect(downgrade.status == 400 && downgrade.body.contains("invalid_grant"))

            // "plain" only where a client's config allows it; unknown methods never.
            for method in ["plain", "S512"] {
                let refused = try await driver.authorize(OAuthDriver.codeRequest(extra: [("code_challenge", pair.verifier), ("code_challenge_method", method)]))
                #expect(refused.status == 302)
                #expect(OAuthDriver.query(of: refused.header("Location") ?? "")["error"] == "invalid_request")
            }
            // A client with require_pkce must send a challenge.
            let codeOnly = try await driver.authorize(OAuthDriver.codeRequest(client: "codeonly", redirect: "http://localhost:8080/codeonly"))
            #expect(OAuthDriver.query(of: codeOnly.header("Location") ?? "")["error"] == "invalid_request")
        }
    }

    @Test func aPublicClientUsesTheCodeGrantWithPKCEAndNoSecret() async throws {
        try await WorkerHarness.run { worker in
            var driver = OAuthDriver(worker)
            try await driver.signIn(OAuthDriver.newUser())
            let spa = OAuthDriver.codeRequest(client: "spa", redirect: FlowClients.publicRedirect)

            let noChallenge = try await driver.authorize(spa)
            #expect(OAuthDriver.query(of: noChallenge.header("Location") ?? "")["error"] == "invalid_request")
            let implicit = try await driver.authorize(OAuthDriver.codeRequest(client: "spa", redirect: FlowClients.publicRedirect, responseType: "token"))
            #expect(OAuthDriver.fragment(of: implicit.header("Location") ?? "")["error"] == "unauthorized_client")

            let pair = OAuthDriver.pkcePair()
            let code = try await driver.code(spa + [("code_challenge", pair.challenge), ("code_challenge_method", "S256")])
            // A secret for a client that has none is refused.
            let withSecret = try await driver.post(
                [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", FlowClients.publicRedirect),
                 ("client_id", "spa"), ("client_secret", "guess"), ("code_verifier", pair.verifier)])
            #expect(withSecret.status == 401)
            #expect(withSecret.header("WWW-Authenticate")?.hasPrefix("Basic") == true)

            let second = try await driver.code(spa + [("code_challenge", pair.challenge), ("code_challenge_method", "S256")])
            let response = try await driver.post(
                [("grant_type", "authorization_code"), ("code", second), ("redirect_uri", FlowClients.publicRedirect),
                 ("client_id", "spa"), ("code_verifier", pair.verifier)])
            #expect(response.status == 200)
            let tokens = try OAuthDriver.json(response)
            #expect(tokens["refresh_token"] is String, "allow_refresh_tokens: true")
            // It may revoke its tokens by naming itself, but not introspect (no real authentication).
            let access = try #require(tokens["access_token"] as? String)
            #expect(try await driver.post([("token", access), ("client_id", "spa")], to: "/introspect").status == 401)
            #expect(try await driver.api("profile", token: try #require(tokens["access_token"] as? String)).status == 200)
        }
    }

    @Test func clientCredentialsGiveAClientATokenOfItsOwn() async throws {
        try await WorkerHarness.run { worker in
            let driver = OAuthDriver(worker)
            let response = try await driver.post([("grant_type", "client_credentials")], basic: ("service", "service-secret"))
            #expect(response.status == 200)
            let tokens = try OAuthDriver.json(response)
            #expect(tokens["scope"] as? String == "read-only")
            #expect(tokens["refresh_token"] == nil)
            let token = try #require(tokens["access_token"] as? String)
            let profile = try await driver.api("profile", token: token)
            #expect(profile.status == 403, "a function that needs a user refuses a client's own token")

            let tooWide = try await driver.post([("grant_type", "client_credentials"), ("scope", "read-write")], basic: ("service", "service-secret"))
            #expect(tooWide.status == 400 && tooWide.body.contains("invalid_scope"))
            let notAllowed = try await driver.post([("grant_type", "client_credentials")], basic: ("test", "hunter2"))
            #expect(notAllowed.status == 400 && notAllowed.body.contains("unauthorized_client"))
            let publicClient = try await driver.post([("grant_type", "client_credentials"), ("client_id", "spa")])
            #expect(publicClient.status == 400 && publicClient.body.contains("unauthorized_client"))
        }
    }

    /// RFC 9700 4.14.2: a rotated-out refresh token coming back is taken for theft; the grant
    /// ends with every token it issued, and the audit trail says why.
    @Test func aReusedRefreshTokenEndsTheGrantAndIsAudited() async throws {
        try await WorkerHarness.run { worker in
            var driver = OAuthDriver(worker)
            try await driver.signIn(OAuthDriver.newUser())
            let first = try await driver.exchange(try await driver.code())
            let old = try #require(first["refresh_token"] as? String)
            let current = try OAuthDriver.json(try await driver.post([("grant_type", "refresh_token"), ("refresh_token", old)], basic: ("test", "hunter2")))
            let currentRefresh = try #require(current["refresh_token"] as? String)

            #expect(try await driver.post([("grant_type", "refresh_token"), ("refresh_token", old)], basic: ("test", "hunter2")).status == 400)
            #expect(try await driver.api("profile", token: try #require(current["access_token"] as? String)).status == 401)
            #expect(try await driver.post([("grant_type", "refresh_token"), ("refresh_token", currentRefresh)], basic: ("test", "hunter2")).status == 400,
                    "the current refresh token ended with its grant")
            let reuse = try await worker.audit.recent(limit: 200).first { $0.event == "refresh_reuse" }
            #expect(reuse?.detail?.contains("suspected theft") == true)
        }
    }

    @Test func aRefreshWithAnEmptyScopeIsInvalidScope() async throws {
        try await WorkerHarness.run { worker in
            var driver = OAuthDriver(worker)
            try await driver.signIn(OAuthDriver.newUser())
            let tokens = try await driver.exchange(try await driver.code())
            let refresh = try #require(tokens["refresh_token"] as? String)
            let empty = try await driver.post([("grant_type", "refresh_token"), ("refresh_token", refresh), ("scope", " ")], basic: ("test", "hunter2"))
            #expect(empty.status == 400 && empty.body.contains("invalid_scope"), "not a token for no scope: \(empty.body)")
        }
    }
}
