import Foundation
import TestSupport
import Testing
import WorkerApp

/// The OpenID Provider's cold JSON documents in process: discovery, the key set, userinfo, and
/// the API's own `{success, message, error}` answers, each with exactly the members it promises.
@Suite struct OpenIDDocumentTests {
    @Test func discoveryExtendsTheMetadataWithWhatOpenIDConnectRequires() async throws {
        try await WorkerHarness.run { worker in
            let response = try await worker.get("/.well-known/openid-configuration")
            #expect(response.status == 200 && response.header("Cache-Control") == "public, max-age=3600")
            #expect(response.header("Access-Control-Allow-Origin") == "*")
            #expect(!response.body.contains(#"\/"#), "URLs as they are, slashes unescaped")
            let discovery = try OAuthDriver.json(response)
            let added: Set<String> = [
                "userinfo_endpoint", "end_session_endpoint", "subject_types_supported", "id_token_signing_alg_values_supported",
                "claims_supported", "claims_parameter_supported", "request_parameter_supported", "request_uri_parameter_supported",
            ]
            #expect(Set(discovery.keys) == RevocationAndIntrospectionTests.metadataKeys.union(added))
            #expect(discovery["issuer"] as? String == worker.baseURL)
            #expect(discovery["userinfo_endpoint"] as? String == worker.baseURL + "/userinfo")
            #expect(discovery["end_session_endpoint"] as? String == worker.baseURL + "/end_session")
            #expect(discovery["subject_types_supported"] as? [String] == ["public", "pairwise"])
            #expect(discovery["id_token_signing_alg_values_supported"] as? [String] == ["ES256", "RS256", "EdDSA"])
            #expect((discovery["claims_supported"] as? [String])?.contains("email_verified") == true)
            #expect(discovery["claims_parameter_supported"] as? Bool == false)
            #expect(discovery["request_uri_parameter_supported"] as? Bool == false)
        }
    }

    @Test func theKeySetPublishesOnlyPublicKeys() async throws {
        try await WorkerHarness.run { worker in
            let response = try await worker.get("/jwks")
            #expect(response.status == 200 && response.header("Cache-Control")?.hasPrefix("public, max-age=") == true)
            let set = try OAuthDriver.json(response)
            #expect(Set(set.keys) == ["keys"])
            let keys = try #require(set["keys"] as? [[String: String]])
            #expect(!keys.isEmpty)
            for key in keys {
                #expect(Set(key.keys) == ["kty", "crv", "x", "y", "kid", "alg", "use"], "an ES256 public JWK, no private member: \(key)")
                #expect(key["alg"] == "ES256" && key["use"] == "sig")
            }
        }
    }

    @Test func userInfoReleasesTheClaimsTheScopesAllowAndNothingElse() async throws {
        try await WorkerHarness.run { worker in
            var driver = OAuthDriver(worker)
            let user = OAuthDriver.newUser("claire")
            try await driver.signIn(user)
            func userInfo(scope: String) async throws -> TestResponse {
                let tokens = try await driver.exchange(try await driver.code(OAuthDriver.codeRequest(scope: scope)))
                let access = try #require(tokens["access_token"] as? String)
                return try await worker.get("/userinfo", headers: [("Authorization", "Bearer \(access)")])
            }
            let everything = try await userInfo(scope: "openid profile email")
            #expect(everything.status == 200 && everything.header("Cache-Control") == "no-store")
            #expect(try OAuthDriver.json(everything) as? [String: String] == ["sub": user, "given_name": "claire", "email": user])
            #expect(try OAuthDriver.json(try await userInfo(scope: "openid")) as? [String: String] == ["sub": user], "no profile, no email")

            let refused = try await userInfo(scope: "read-only")
            #expect(refused.status == 403)
            #expect(Set(try OAuthDriver.json(refused).keys) == ["error", "error_description"])
            let anonymous = try await worker.get("/userinfo")
            #expect(anonymous.status == 401 && anonymous.header("WWW-Authenticate") == #"Bearer realm="Users""#)
            #expect(anonymous.body == "{}", "RFC 6750 3.1: no error code for a request without a token")
        }
    }

    /// `email_verified` is the boolean OpenID Connect Core 5.1 defines, not the site's string.
    @Test func userInfoGivesEmailVerifiedAsABoolean() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let encoded = try encoder.encode(UserInfoAnswer(claims: ["sub": "u1", "email": "a@example.com", "email_verified": "true"]))
        #expect(String(decoding: encoded, as: UTF8.self) == #"{"email":"a@example.com","email_verified":true,"sub":"u1"}"#)
        let unverified = try encoder.encode(UserInfoAnswer(claims: ["sub": "u1", "email_verified": "no"]))
        #expect(String(decoding: unverified, as: UTF8.self) == #"{"email_verified":false,"sub":"u1"}"#)
    }

    @Test func theAPIsOwnAnswersHaveTheNodeOriginalsShape() async throws {
        try await WorkerHarness.run { worker in
            var driver = OAuthDriver(worker)
            try await driver.signIn(OAuthDriver.newUser())
            let tokens = try await driver.exchange(try await driver.code(OAuthDriver.codeRequest(scope: "read-write")))
            let access = try #require(tokens["access_token"] as? String)
            let success = try await driver.api("update_avatar", token: access)
            #expect(success.status == 200 && success.body == #"{"success":1}"#, "no message, no error")
            let unknown = try await driver.api("nothing", token: access)
            #expect(unknown.status == 404)
            #expect(unknown.body == #"{"error":"no such function","message":"there is no API function \"nothing\"","success":0}"#)
        }
    }
}
