import Foundation
import NIOHTTP1
import SharedStorage
import Testing

extension IntegrationTests {
    /// What current OAuth expects beyond the seed: PKCE, public clients, client credentials,
    /// revocation, introspection, metadata, and refresh-token reuse detection with a grace window.
    @Suite(.serialized)
    struct ModernOAuthTests {
        @Test func pkceBindsTheCodeToItsVerifier() async throws {
            let server = try await OAuthDriver.start(.embedded, workers: 1)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
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
            #expect(await server.stop() == 0)
        }

        @Test func aPublicClientUsesTheCodeGrantWithPKCEAndNoSecret() async throws {
            let server = try await OAuthDriver.start(.embedded, workers: 1)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
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
            #expect(await server.stop() == 0)
        }

        @Test func clientCredentialsGiveAClientATokenOfItsOwn() async throws {
            let server = try await OAuthDriver.start(.embedded, workers: 1)
            defer { server.kill() }
            let driver = OAuthDriver(server: server)
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
            #expect(await server.stop() == 0)
        }

        @Test func revocationEndsATokenOrItsWholeGrant() async throws {
            let server = try await OAuthDriver.start(.embedded, workers: 1)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            try await driver.signIn(OAuthDriver.newUser())

            #expect(try await driver.post([("token", "x")], to: "/revoke").status == 401)
            #expect(try await driver.post([("token", "x")], to: "/revoke", basic: ("test", "wrong")).status == 401)
            #expect(try await driver.post([("token", "unknown")], to: "/revoke", basic: ("test", "hunter2")).status == 200)
            #expect(try await driver.post([], to: "/revoke", basic: ("test", "hunter2")).status == 400)

            // An access token alone.
            let first = try await driver.exchange(try await driver.code())
            let access = try #require(first["access_token"] as? String)
            let refresh = try #require(first["refresh_token"] as? String)
            // Another client cannot revoke it.
            let foreign = try await driver.post([("token", access)], to: "/revoke", basic: ("other", "other-secret"))
            #expect(foreign.status == 400)
            #expect(try await driver.api("profile", token: access).status == 200)
            #expect(try await driver.post([("token", access), ("token_type_hint", "access_token")], to: "/revoke", basic: ("test", "hunter2")).status == 200)
            #expect(try await driver.api("profile", token: access).status == 401)

            // A refresh token takes its grant's access tokens with it.
            let renewed = try OAuthDriver.json(try await driver.post([("grant_type", "refresh_token"), ("refresh_token", refresh)], basic: ("test", "hunter2")))
            let renewedAccess = try #require(renewed["access_token"] as? String)
            let renewedRefresh = try #require(renewed["refresh_token"] as? String)
            let revoked = try await driver.post([("token", renewedRefresh)], to: "/revoke", basic: ("test", "hunter2"))
            #expect(revoked.status == 200)
            #expect(try await driver.api("profile", token: renewedAccess).status == 401)
            #expect(try await driver.post([("grant_type", "refresh_token"), ("refresh_token", renewedRefresh)], basic: ("test", "hunter2")).status == 400)
            #expect(await server.stop() == 0)
        }

        @Test func aRefreshWithAnEmptyScopeIsInvalidScope() async throws {
            let server = try await OAuthDriver.start(.embedded, workers: 1)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            try await driver.signIn(OAuthDriver.newUser())
            let tokens = try await driver.exchange(try await driver.code())
            let refresh = try #require(tokens["refresh_token"] as? String)
            let empty = try await driver.post([("grant_type", "refresh_token"), ("refresh_token", refresh), ("scope", " ")], basic: ("test", "hunter2"))
            #expect(empty.status == 400 && empty.body.contains("invalid_scope"), "not a token for no scope: \(empty.body)")
            #expect(await server.stop() == 0)
        }

        @Test func introspectionDescribesLiveTokensToThoseAllowedToAsk() async throws {
            let server = try await OAuthDriver.start(.embedded, workers: 1)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            let user = OAuthDriver.newUser()
            try await driver.signIn(user)
            let tokens = try await driver.exchange(try await driver.code(OAuthDriver.codeRequest(scope: "read-write")))
            let access = try #require(tokens["access_token"] as? String)
            let refresh = try #require(tokens["refresh_token"] as? String)

            #expect(try await driver.post([("token", access)], to: "/introspect").status == 401)
            let asked = try await driver.post([("token", access)], to: "/introspect", basic: ("service", "service-secret"))
            #expect(asked.status == 200)
            #expect(asked.header("Cache-Control") == "no-store")
            let answer = try OAuthDriver.json(asked)
            #expect(answer["active"] as? Bool == true)
            #expect(answer["scope"] as? String == "read-write")
            #expect(answer["client_id"] as? String == "test")
            #expect(answer["sub"] as? String == user)
            #expect(answer["username"] as? String == user)
            #expect(answer["token_type"] as? String == "Bearer")
            #expect(answer["iss"] as? String == server.baseURL)
            let now = Int(Date().timeIntervalSince1970)
            let exp = try #require(answer["exp"] as? Int)
            let iat = try #require(answer["iat"] as? Int)
            #expect(abs(exp - now - 7200) < 30 && abs(iat - now) < 30)

            // The client that holds it may ask; a client that neither holds it nor may introspect learns nothing.
            #expect(try OAuthDriver.json(try await driver.post([("token", refresh)], to: "/introspect", basic: ("test", "hunter2")))["active"] as? Bool == true)
            let stranger = try await driver.post([("token", access)], to: "/introspect", basic: ("other", "other-secret"))
            #expect(stranger.body == #"{"active":false}"#)

            // Dead tokens: exactly {"active": false}.
            _ = try await driver.post([("token", refresh)], to: "/revoke", basic: ("test", "hunter2"))
            for dead in [access, refresh, "never-issued"] {
                let response = try await driver.post([("token", dead)], to: "/introspect", basic: ("service", "service-secret"))
                #expect(response.status == 200)
                #expect(response.body == #"{"active":false}"#)
            }
            #expect(await server.stop() == 0)
        }

        @Test func metadataDescribesTheServer() async throws {
            let server = try await OAuthDriver.start(.embedded, workers: 1)
            defer { server.kill() }
            let response = try await TestHTTP.get(server.baseURL + "/.well-known/oauth-authorization-server")
            #expect(response.status == 200)
            #expect(response.header("Content-Type")?.hasPrefix("application/json") == true)
            let metadata = try OAuthDriver.json(response)
            let issuer = server.baseURL
            #expect(metadata["issuer"] as? String == issuer)
            #expect(metadata["authorization_endpoint"] as? String == "\(issuer)/authorize")
            #expect(metadata["token_endpoint"] as? String == "\(issuer)/token")
            #expect(metadata["revocation_endpoint"] as? String == "\(issuer)/revoke")
            #expect(metadata["introspection_endpoint"] as? String == "\(issuer)/introspect")
            #expect(metadata["response_types_supported"] as? [String] == ["code", "token", "id_token", "id_token token"])
            #expect(Set(metadata["grant_types_supported"] as? [String] ?? []) == ["authorization_code", "implicit", "refresh_token", "client_credentials"])
            #expect(metadata["scopes_supported"] as? [String] == ["openid", "profile", "email", "read-only", "read-write"])
            #expect(Set(metadata["token_endpoint_auth_methods_supported"] as? [String] ?? []) == ["client_secret_basic", "client_secret_post", "none"])
            #expect((metadata["code_challenge_methods_supported"] as? [String])?.contains("S256") == true)
            #expect(metadata["authorization_response_iss_parameter_supported"] as? Bool == true)

            // The back-channel endpoints answer POST only, in JSON.
            for path in ["/token", "/revoke", "/introspect"] {
                let get = try await TestHTTP.get(server.baseURL + path + "?grant_type=client_credentials")
                #expect(get.status == 405)
                #expect(get.header("Allow") == "POST")
                #expect(try OAuthDriver.json(get)["error"] as? String == "invalid_request")
            }
            #expect(await server.stop() == 0)
        }

        @Test func aReusedRefreshTokenEndsTheGrantAndIsAudited() async throws {
            let server = try await OAuthDriver.start(.embedded, workers: 2)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            try await driver.signIn(OAuthDriver.newUser())
            let first = try await driver.exchange(try await driver.code())
            let old = try #require(first["refresh_token"] as? String)
            let current = try OAuthDriver.json(try await driver.post([("grant_type", "refresh_token"), ("refresh_token", old)], basic: ("test", "hunter2")))
            let currentRefresh = try #require(current["refresh_token"] as? String)

            #expect(try await driver.post([("grant_type", "refresh_token"), ("refresh_token", old)], basic: ("test", "hunter2")).status == 400)
            #expect(try await driver.api("profile", token: try #require(current["access_token"] as? String)).status == 401)
            #expect(try await driver.post([("grant_type", "refresh_token"), ("refresh_token", currentRefresh)], basic: ("test", "hunter2")).status == 400,
                    "the current refresh token ended with its grant")
            let audit = try await StoredTokens.open(for: server)
            let reuse = try await audit.auditEvents().first { $0.event == "refresh_reuse" }
            await audit.close()
            #expect(reuse?.detail?.contains("suspected theft") == true)
            #expect(await server.stop() == 0)
        }

        @Test func withAGraceWindowAConcurrentRefreshGetsTheSamePair() async throws {
            let server = try await OAuthDriver.start(.embedded, workers: 2, overrides: ["auth_server": ["refresh_token_grace_seconds": 10]])
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            try await driver.signIn(OAuthDriver.newUser())
            let first = try await driver.exchange(try await driver.code())
            let old = try #require(first["refresh_token"] as? String)

            // Several instances of one client refresh the same token at once: one rotation, one pair.
            let client = driver
            let answers = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await client.post([("grant_type", "refresh_token"), ("refresh_token", old)], basic: ("test", "hunter2")) }
                }
                return try await group.reduce(into: [TestResponse]()) { $0.append($1) }
            }
            #expect(answers.allSatisfy { $0.status == 200 }, "\(answers.map(\.body))")
            let pairs = Set(try answers.map { try OAuthDriver.json($0)["refresh_token"] as? String ?? "" })
            #expect(pairs.count == 1, "concurrent refreshes never both rotate")
            let access = Set(try answers.map { try OAuthDriver.json($0)["access_token"] as? String ?? "" })
            #expect(access.count == 1)
            let newRefresh = try #require(pairs.first)
            #expect(try await driver.api("profile", token: try #require(access.first)).status == 200, "the grant lives on")

            // Once the new pair has been used, the old token coming back is theft again, grace or not.
            let next = try await driver.post([("grant_type", "refresh_token"), ("refresh_token", newRefresh)], basic: ("test", "hunter2"))
            #expect(next.status == 200)
            #expect(try await driver.post([("grant_type", "refresh_token"), ("refresh_token", old)], basic: ("test", "hunter2")).status == 400)
            #expect(try await driver.api("profile", token: try #require(try OAuthDriver.json(next)["access_token"] as? String)).status == 401)
            #expect(await server.stop() == 0)
        }

        @Test func withoutAGraceWindowConcurrentRefreshesRotateOnce() async throws {
            let server = try await OAuthDriver.start(.embedded, workers: 2)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            try await driver.signIn(OAuthDriver.newUser())
            let old = try #require(try await driver.exchange(try await driver.code())["refresh_token"] as? String)
            let client = driver
            let answers = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await client.post([("grant_type", "refresh_token"), ("refresh_token", old)], basic: ("test", "hunter2")) }
                }
                return try await group.reduce(into: [TestResponse]()) { $0.append($1) }
            }
            // Exactly one request took the token and rotated it: the audit trail has one "refresh".
            // The others found it taken; those that came once the rotation was recorded presented
            // a rotated-out token, which ends the grant (RFC 9700 4.14.2) and may take back even
            // the pair the rotation issued. So at most one 200, and only a grant that lives on
            // keeps it working.
            let stored = try await StoredTokens.open(for: server)
            let events = try await stored.auditEvents()
            await stored.close()
            #expect(events.filter { $0.event == "refresh" }.count == 1, "exactly one rotation: \(events.map(\.event))")
            let rotated = answers.filter { $0.status == 200 }
            #expect(rotated.count <= 1)
            for refused in answers where refused.status != 200 {
                #expect(refused.status == 400)
                #expect(try OAuthDriver.json(refused)["error"] as? String == "invalid_grant", "\(refused.body)")
            }
            let grantEnded = events.contains { $0.event == "refresh_reuse" }
            if let winner = rotated.first {
                let access = try #require(try OAuthDriver.json(winner)["access_token"] as? String)
                #expect(try await driver.api("profile", token: access).status == (grantEnded ? 401 : 200))
            } else {
                #expect(grantEnded && events.contains { $0.event == "tokens_withdrawn" }, "the one rotation was taken back by the grant's end")
            }
            #expect(try await driver.post([("grant_type", "refresh_token"), ("refresh_token", old)], basic: ("test", "hunter2")).status == 400,
                    "the old token is spent")
            #expect(await server.stop() == 0)
        }
    }
}
