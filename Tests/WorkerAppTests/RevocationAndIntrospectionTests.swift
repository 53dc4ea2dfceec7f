import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// Revocation (RFC 7009), introspection (RFC 7662) and the metadata document (RFC 8414), in process.
@Suite struct RevocationAndIntrospectionTests {
    @Test func revocationEndsATokenOrItsWholeGrant() async throws {
        try await WorkerHarness.run { worker in
            var driver = OAuthDriver(worker)
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
        }
    }

    @Test func introspectionDescribesLiveTokensToThoseAllowedToAsk() async throws {
        try await WorkerHarness.run { worker in
            var driver = OAuthDriver(worker)
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
            #expect(answer["iss"] as? String == worker.baseURL)
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
        }
    }

    static let metadataKeys: Set<String> = [
        "issuer", "authorization_endpoint", "token_endpoint", "revocation_endpoint", "introspection_endpoint", "jwks_uri",
        "response_types_supported", "response_modes_supported", "grant_types_supported", "scopes_supported",
        "token_endpoint_auth_methods_supported", "revocation_endpoint_auth_methods_supported",
        "introspection_endpoint_auth_methods_supported", "code_challenge_methods_supported",
        "authorization_response_iss_parameter_supported",
    ]

    @Test func metadataDescribesTheServer() async throws {
        try await WorkerHarness.run { worker in
            let response = try await worker.get("/.well-known/oauth-authorization-server")
            #expect(response.status == 200)
            #expect(response.header("Content-Type")?.hasPrefix("application/json") == true)
            let metadata = try OAuthDriver.json(response)
            let issuer = worker.baseURL
            #expect(Set(metadata.keys) == Self.metadataKeys, "RFC 8414's members, no more")
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
                let get = try await worker.get(path + "?grant_type=client_credentials")
                #expect(get.status == 405)
                #expect(get.header("Allow") == "POST")
                #expect(try OAuthDriver.json(get)["error"] as? String == "invalid_request")
            }
        }
    }
}
