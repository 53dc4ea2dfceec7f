import Crypto
import Foundation
import SharedPlatform
import TestSupport
import Testing

extension IntegrationTests {
    /// The server as an OpenID Provider: real relying-party libraries sign in with it, and the
    /// signing keys rotate in stages without a relying party ever meeting a key it could not fetch.
    @Suite(.serialized)
    struct OpenIDConnectTests {
        /// Relying parties by signing algorithm, and a client that never asks for OpenID.
        static func clientsFile(withJWTAccessTokens: Bool = true) -> String {
            func entry(_ id: String, _ number: Int, algorithm: String? = nil, pairwiseHost: String? = nil, implicit: Bool = false) -> String {
                let secret = ClientSecret.hash(secret: "\(id)-secret", clientID: id).stored
                var extra = algorithm.map { #", "id_token_signed_response_alg": "\#($0)""# } ?? ""
                if pairwiseHost != nil { extra += #", "subject_type": "pairwise""# }
                if implicit { extra += #", "allow_implicit_grant": true"# }
                if id == "rp-remember" { extra += #", "remember_consent": true"# }
                if id == "rp-jwt" { extra += #", "access_token_format": "jwt""# }
                if id == "rp" { extra += #", "post_logout_redirect_uris": ["http://localhost:8080/rp/signed-out"]"# }
                return #"{"id": "\#(number)", "name": "Relying party \#(id)", "client_id": "\#(id)", "client_secret": "\#(secret)", "allow_code_grant": true, "valid_redirects": ["http://\#(pairwiseHost ?? "localhost"):8080/\#(id)"]\#(extra)}"#
            }
            return "[" + [
                entry("rp", 1), entry("rp-rsa", 2, algorithm: "RS256"), entry("rp-ed", 3, algorithm: "EdDSA"),
                entry("rp-pair", 4, pairwiseHost: "127.0.0.1"), entry("rp-pair-same", 5, pairwiseHost: "127.0.0.1"),
                entry("rp-pair-other", 6, pairwiseHost: "localhost"), entry("rp-implicit", 7, implicit: true),
                entry("rp-remember", 8),
            ].joined(separator: ",\n") + (withJWTAccessTokens ? ",\n" + entry("rp-jwt", 9) : "") + "]"
        }

        /// Starts a server for the relying parties. The embedded setup seals its keys with a
        /// `keys_secret` of its own; the shared PostgreSQL starts without keys, and seals them with
        /// the session secret, as every other test server there does.
        static func start(
            _ backend: FlowBackend, workers: Int = 3, overrides: [String: Any] = [:], clients: String = clientsFile()
        ) async throws -> ServerProcess {
            var settings = try backend.overrides()
            switch backend {
            case .embedded: settings = settings.merging(["auth_server": ["keys_secret": "a keys secret for the tests, not the session secret"]])
            case .redisAndPostgres: try await SharedSigningKeys.forget()
            }
            return try await ServerProcess.start(workers: workers, overrides: settings.merging(overrides), clients: clients)
        }

        @Test(arguments: FlowBackend.allCases)
        func authlibSignsInWithOpenIDConnect(_ backend: FlowBackend) async throws {
            let python = try #require(
                ProcessInfo.processInfo.environment["OAUTH2_TEST_PYTHON"], "OAUTH2_TEST_PYTHON is not set: run the tests with scripts/test")
            let server = try await Self.start(backend)
            defer { server.kill() }
            let script = TestEnvironment.repository.appendingPathComponent("Tests/ClientLibrary/authlib_oidc.py").path
            let (status, output) = try Command.output(python, [script, server.baseURL])
            #expect(status == 0, "\(output)\nserver log:\n\(server.log().suffix(4000))")
            #expect(output.contains("all 8 scenarios passed"), "\(output)")
            #expect(await server.stop() == 0)
        }

        /// A second relying-party library, pyoidc (`oic`), verifying the ID tokens itself.
        @Test(arguments: FlowBackend.allCases)
        func pyoidcSignsInWithOpenIDConnect(_ backend: FlowBackend) async throws {
            let python = try #require(
                ProcessInfo.processInfo.environment["OAUTH2_TEST_PYTHON"], "OAUTH2_TEST_PYTHON is not set: run the tests with scripts/test")
            let server = try await Self.start(backend)
            defer { server.kill() }
            let script = TestEnvironment.repository.appendingPathComponent("Tests/ClientLibrary/oic_flows.py").path
            let (status, output) = try Command.output(python, [script, server.baseURL])
            #expect(status == 0, "\(output)\nserver log:\n\(server.log().suffix(4000))")
            #expect(output.contains("all 2 scenarios passed"), "\(output)")
            #expect(await server.stop() == 0)
        }

        @Test func promptMaxAgeAndLoginHintDecideWhetherTheUserSignsInOrConsents() async throws {
            let server = try await Self.start(.embedded, workers: 1)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            let user = OAuthDriver.newUser("hint")
            func request(_ extra: [(String, String)]) -> [(String, String)] {
                OAuthDriver.codeRequest(client: "rp", redirect: "http://localhost:8080/rp", scope: "openid", state: "s1", extra: extra)
            }
            // Not signed in: prompt=none answers login_required at the client, without a page.
            var answer = try await driver.authorize(request([("prompt", "none")]))
            #expect(answer.status == 302)
            var back = OAuthDriver.query(of: answer.header("Location") ?? "")
            #expect(back["error"] == "login_required" && back["state"] == "s1", "\(back)")

            // login_hint reaches the sign-in page, pre-filled and escaped.
            answer = try await driver.authorize(request([("login_hint", "<b>\(user)")]))
            let login = try #require(answer.header("Location"))
            #expect(login.contains("/login?return_to=") && login.contains("login_hint="))
            let page = try await TestHTTP.get(login)
            #expect(page.body.contains("value=\"&lt;b&gt;\(user)\""), "\(page.body)")

            try await driver.signIn(user)
            // Signed in, but this server always asks for consent: consent_required.
            answer = try await driver.authorize(request([("prompt", "none")]))
            back = OAuthDriver.query(of: answer.header("Location") ?? "")
            #expect(back["error"] == "consent_required", "\(back)")
            // A recent sign-in satisfies max_age; the consent page is shown.
            answer = try await driver.authorize(request([("max_age", "3600")]))
            #expect(answer.status == 200 && answer.body.contains("transaction_id"))

            // prompt=login and an exceeded max_age ask for the password again, and come back
            // without them (or they would ask for ever).
            for extra in [[("prompt", "login")], [("max_age", "1")]] {
                // max_age is in whole seconds: let more than one pass since the sign-in.
                if extra[0].0 == "max_age" { try await Task.sleep(for: .seconds(2)) }
                answer = try await driver.authorize(request(extra))
                #expect(answer.status == 302)
                let location = try #require(answer.header("Location"))
                #expect(location.contains("/login?return_to="), "\(location)")
                let returnTo = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "return_to" }?.value)
                #expect(!returnTo.contains("prompt=login") && !returnTo.contains("max_age"), "\(returnTo)")
                try await driver.signIn(user)
                let again = try await driver.browser.get(returnTo)
                #expect(again.status == 200 && again.body.contains("transaction_id"), "\(again.status) \(again.body.prefix(300))")
            }
            // The ID token says when the password was entered: after the forced sign-in.
            let beforeLast = Date().timeIntervalSince1970 - 5
            let code = try await driver.code(request([("prompt", "login")]).filter { $0.0 != "prompt" })
            let tokens = try await driver.post(
                [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", "http://localhost:8080/rp")], basic: ("rp", "rp-secret"))
            let rawIDToken = try #require(OAuthDriver.json(tokens)["id_token"] as? String)
            let idToken = try #require(SignedJWT(rawIDToken))
            #expect((idToken.claims["auth_time"] as? Double ?? 0) >= beforeLast)
            #expect(await server.stop() == 0)
        }

        @Test func implicitIDTokensNeedTheImplicitGrantAndANonce() async throws {
            let server = try await Self.start(.embedded, workers: 1)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            let user = OAuthDriver.newUser("implicit")
            try await driver.signIn(user)
            let redirect = "http://localhost:8080/rp-implicit"
            func request(_ type: String, nonce: String?, client: String = "rp-implicit", uri: String? = nil) -> [(String, String)] {
                OAuthDriver.codeRequest(
                    client: client, redirect: uri ?? redirect, scope: "openid profile email", state: "s2", responseType: type,
                    extra: nonce.map { [("nonce", $0)] } ?? [])
            }
            // A client without the implicit grant, and a request without a nonce, are refused in the fragment.
            var answer = try await driver.authorize(request("id_token", nonce: "n1", client: "rp", uri: "http://localhost:8080/rp"))
            #expect(OAuthDriver.fragment(of: answer.header("Location") ?? "")["error"] == "unauthorized_client")
            answer = try await driver.authorize(request("id_token", nonce: nil))
            #expect(OAuthDriver.fragment(of: answer.header("Location") ?? "")["error"] == "invalid_request")

            let jwks = try await Self.jwks(server)
            // id_token alone: the claims travel in the ID token, there being no access token.
            var back = try await driver.consentedRedirect(request("id_token", nonce: "n-implicit"))
            #expect(back["access_token"] == nil && back["state"] == "s2")
            let aloneRaw = try #require(back["id_token"])
            let alone = try #require(SignedJWT(aloneRaw))
            #expect(alone.verifies(with: jwks))
            #expect(alone.claims["nonce"] as? String == "n-implicit" && alone.claims["sub"] as? String == user)
            #expect(alone.claims["email"] as? String == user && alone.claims["given_name"] as? String == "implicit")
            #expect(alone.claims["at_hash"] == nil)

            // id_token token (in either order): at_hash binds the access token.
            back = try await driver.consentedRedirect(request("token id_token", nonce: "n-both"))
            let access = try #require(back["access_token"])
            let bothRaw = try #require(back["id_token"])
            let both = try #require(SignedJWT(bothRaw))
            #expect(both.verifies(with: jwks))
            let digest = Array(SHA256.hash(data: Array(access.utf8)))
            #expect(both.claims["at_hash"] as? String == Base64URL.encode(digest.prefix(16)))
            #expect(both.claims["email"] == nil, "with an access token, claims are at /userinfo")
            #expect(await server.stop() == 0)
        }

        @Test func relyingPartiesSignUsersOutAndGetThemBackOnlyToTheirRegisteredAddress() async throws {
            let server = try await Self.start(.embedded, workers: 1)
            defer { server.kill() }
            let user = OAuthDriver.newUser("bye")
            var driver = OAuthDriver(server: server)
            try await driver.signIn(user)
            let hint = try await Self.idToken(server, user: user).raw
            let back = "http://localhost:8080/rp/signed-out"

            // Without a hint, or to an address the client did not register: signed out, no redirect.
            for query in [
                OAuthDriver.query([("post_logout_redirect_uri", back), ("state", "st")]),
                OAuthDriver.query([("id_token_hint", hint), ("post_logout_redirect_uri", "http://localhost:8080/rp"), ("state", "st")]),
                OAuthDriver.query([("id_token_hint", hint + "x"), ("post_logout_redirect_uri", back)]),
            ] {
                let page = try await driver.browser.get("/end_session?" + query)
                #expect(page.status == 200 && page.body.contains("signed out") && page.header("Location") == nil, "\(query)")
            }

            // The session ends; with a valid hint and the registered address, back there with state (GET and POST).
            try await driver.signIn(user)
            let answer = try await driver.browser.get(
                "/end_session?" + OAuthDriver.query([("id_token_hint", hint), ("post_logout_redirect_uri", back), ("state", "st 1")]))
            #expect(answer.status == 302)
            #expect(answer.header("Location") == back + "?state=st%201")
            let after = try await driver.authorize(OAuthDriver.codeRequest(client: "rp", redirect: "http://localhost:8080/rp", scope: "openid"))
            #expect(after.status == 302 && after.header("Location")?.contains("/login?") == true, "signed out: asked to sign in again")

            try await driver.signIn(user)
            let posted = try await driver.browser.post(
                "/end_session", form: [("id_token_hint", hint), ("post_logout_redirect_uri", back)])
            #expect(posted.status == 302 && posted.header("Location") == back)
            #expect(await server.stop() == 0)
        }

        /// A refresh retried within `refresh_token_grace_seconds` (its answer was lost) gets the same
        /// pair back, and an ID token for it like the first answer had, with the same subject.
        @Test func aRefreshRetriedInTheGraceWindowGetsItsIDTokenToo() async throws {
            let server = try await Self.start(.embedded, workers: 1, overrides: ["auth_server": ["refresh_token_grace_seconds": 30]])
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            try await driver.signIn(OAuthDriver.newUser("retry"))
            let redirect = "http://localhost:8080/rp"
            let code = try await driver.code(OAuthDriver.codeRequest(client: "rp", redirect: redirect, scope: "openid"))
            let exchanged = try OAuthDriver.json(try await driver.post(
                [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect)], basic: ("rp", "rp-secret")))
            let refresh = try #require(exchanged["refresh_token"] as? String)
            var answers: [[String: Any]] = []
            for _ in 0..<2 {
                let response = try await driver.post([("grant_type", "refresh_token"), ("refresh_token", refresh)], basic: ("rp", "rp-secret"))
                try #require(response.status == 200, "\(response.body)")
                answers.append(try OAuthDriver.json(response))
            }
            #expect(answers[1]["access_token"] as? String == answers[0]["access_token"] as? String, "the retry gets the same pair")
            let subjects = try answers.map { answer in
                let idToken = try #require(answer["id_token"] as? String, "an ID token in \(answer)")
                let payload = try #require(idToken.split(separator: ".").dropFirst().first.flatMap { Base64URL.decode(String($0)) })
                return try #require(JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])["sub"] as? String
            }
            #expect(subjects[0] != nil && subjects[0] == subjects[1])
            #expect(await server.stop() == 0)
        }

        @Test func rememberedConsentSkipsThePageOnlyForClientsThatAskAndScopesAlreadyGranted() async throws {
            let server = try await Self.start(.embedded, workers: 1)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            try await driver.signIn(OAuthDriver.newUser("remember"))
            let redirect = "http://localhost:8080/rp-remember"
            func request(_ scope: String, _ extra: [(String, String)] = []) -> [(String, String)] {
                OAuthDriver.codeRequest(client: "rp-remember", redirect: redirect, scope: scope, extra: extra)
            }
            func exchange(_ code: String) async throws -> [String: Any] {
                let response = try await driver.post(
                    [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect)], basic: ("rp-remember", "rp-remember-secret"))
                try #require(response.status == 200, "\(response.body)")
                return try OAuthDriver.json(response)
            }
            // Nothing granted yet: prompt=none cannot be answered, and the page is shown.
            var answer = try await driver.authorize(request("openid email", [("prompt", "none")]))
            #expect(OAuthDriver.query(of: answer.header("Location") ?? "")["error"] == "consent_required")
            let first = try await exchange(try await driver.code(request("openid email")))
            let firstAccess = try #require(first["access_token"] as? String)

            // Granted: the same or fewer scopes come back at once, with prompt=none too.
            for extra in [[], [("prompt", "none")]] {
                answer = try await driver.authorize(request("openid", extra))
                #expect(answer.status == 302, "no consent page: \(answer.status)")
                let code = try #require(OAuthDriver.query(of: answer.header("Location") ?? "")["code"])
                let tokens = try await exchange(code)
                #expect(tokens["scope"] as? String == "openid" && tokens["id_token"] != nil)
            }
            // The grant's earlier tokens are left alone.
            let info = try await TestHTTP.get(server.baseURL + "/userinfo", headers: [("Authorization", "Bearer \(firstAccess)")])
            #expect(info.status == 200, "\(info.body)")
            // More than was granted, or prompt=consent: the page again.
            answer = try await driver.authorize(request("openid profile"))
            #expect(answer.status == 200 && answer.body.contains("transaction_id"))
            answer = try await driver.authorize(request("openid", [("prompt", "consent")]))
            #expect(answer.status == 200 && answer.body.contains("transaction_id"))
            // A client that did not ask to remember is asked every time, as in the Node original.
            _ = try await driver.code(OAuthDriver.codeRequest(client: "rp", redirect: "http://localhost:8080/rp", scope: "openid"))
            answer = try await driver.authorize(OAuthDriver.codeRequest(client: "rp", redirect: "http://localhost:8080/rp", scope: "openid"))
            #expect(answer.status == 200 && answer.body.contains("transaction_id"))
            #expect(await server.stop() == 0)
        }

        @Test(arguments: FlowBackend.allCases)
        func jwtAccessTokensVerifyOfflineAndAreStillRevokedAtOnceHere(_ backend: FlowBackend) async throws {
            let server = try await Self.start(backend, workers: 2)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            let user = OAuthDriver.newUser("jwt")
            try await driver.signIn(user)
            let redirect = "http://localhost:8080/rp-jwt"
            let code = try await driver.code(OAuthDriver.codeRequest(client: "rp-jwt", redirect: redirect, scope: "openid read-only"))
            let exchanged = try await driver.post(
                [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect)], basic: ("rp-jwt", "rp-jwt-secret"))
            let tokens = try OAuthDriver.json(exchanged)
            let access = try #require(tokens["access_token"] as? String, "\(exchanged.body)")
            let jwt = try #require(SignedJWT(access), "an RFC 9068 JWT: \(access)")
            #expect(jwt.header["typ"] as? String == "at+jwt")
            #expect(jwt.verifies(with: try await Self.jwks(server)), "verifies offline with the JWKS")
            #expect(jwt.claims["iss"] as? String == server.baseURL && jwt.claims["aud"] as? String == server.baseURL + "/api")
            #expect(jwt.claims["sub"] as? String == user && jwt.claims["client_id"] as? String == "rp-jwt")
            #expect(jwt.claims["scope"] as? String == "openid read-only" && jwt.claims["jti"] is String)
            #expect((jwt.claims["exp"] as? Double ?? 0) - (jwt.claims["iat"] as? Double ?? 0) == 7200)

            #expect(try await driver.api("profile", token: access).status == 200)
            let introspected = try OAuthDriver.json(try await driver.post([("token", access)], to: "/introspect", basic: ("rp-jwt", "rp-jwt-secret")))
            #expect(introspected["active"] as? Bool == true && introspected["client_id"] as? String == "rp-jwt")

            let revoked = try await driver.post([("token", access)], to: "/revoke", basic: ("rp-jwt", "rp-jwt-secret"))
            #expect(revoked.status == 200)
            #expect(try await driver.api("profile", token: access).status == 401, "revoked: refused here at once")
            let after = try OAuthDriver.json(try await driver.post([("token", access)], to: "/introspect", basic: ("rp-jwt", "rp-jwt-secret")))
            #expect(after["active"] as? Bool == false)
            // Other clients keep opaque tokens.
            let opaque = try await Self.idToken(server, user: user)
            #expect(opaque.kid != nil)
            #expect(await server.stop() == 0)
        }

        /// An ID token for `rp`, by the code flow with PKCE and a nonce.
        static func idToken(_ server: ServerProcess, user: String) async throws -> SignedJWT {
            var driver = OAuthDriver(server: server)
            try await driver.signIn(user)
            let pkce = OAuthDriver.pkcePair()
            let code = try await driver.code(OAuthDriver.codeRequest(
                client: "rp", redirect: "http://localhost:8080/rp", scope: "openid",
                extra: [("nonce", "n-0S6_WzA2Mj"), ("code_challenge", pkce.challenge), ("code_challenge_method", "S256")]))
            let response = try await driver.post(
                [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", "http://localhost:8080/rp"),
                 ("code_verifier", pkce.verifier)],
                basic: ("rp", "rp-secret"))
            try #require(response.status == 200, "\(response.body)")
            let token = try #require(OAuthDriver.json(response)["id_token"] as? String, "no id_token: \(response.body)")
            let jwt = try #require(SignedJWT(token))
            #expect(jwt.claims["nonce"] as? String == "n-0S6_WzA2Mj")
            return jwt
        }

        static func jwks(_ server: ServerProcess) async throws -> [[String: Any]] {
            let response = try await TestHTTP.get(server.baseURL + "/jwks")
            try #require(response.status == 200)
            return try #require(OAuthDriver.json(response)["keys"] as? [[String: Any]])
        }

        static func kids(_ jwks: [[String: Any]]) -> Set<String> { Set(jwks.compactMap { $0["kid"] as? String }) }

        func rotateKeys(_ server: ServerProcess) throws -> (status: Int32, output: String) {
            try Command.output(
                TestEnvironment.executable("oauth2-server"), ["rotate-keys"],
                environment: ["OAUTH2_CONFIG_DIR": server.configDirectory, "OAUTH2_ENV": "test"])
        }

        /// After a reload every worker uses the new keys: several tokens in a row (spread over
        /// the workers) all carry `kid`.
        func expectEveryWorkerSigns(with kid: String, _ server: ServerProcess, jwks: [[String: Any]]) async throws {
            for round in 0..<4 {
                let token = try await Self.idToken(server, user: OAuthDriver.newUser("round\(round)"))
                #expect(token.kid == kid, "round \(round): signed by \(token.kid ?? "none"), expected \(kid)")
                #expect(token.verifies(with: jwks))
            }
        }

        @Test(arguments: FlowBackend.allCases)
        func keysRotateInStagesAndRetiredKeysLeaveOnlyAfterTheirTokensExpire(_ backend: FlowBackend) async throws {
            // Short lifetimes: staging 3 s (JWKS max-age 1 s, workers look every second), ID tokens
            // 4 s, and no JWT access tokens (which would keep retired keys for their 2 hours).
            let server = try await Self.start(
                backend, overrides: ["auth_server": ["key_staging_seconds": 3, "id_token_ttl": 4]],
                clients: Self.clientsFile(withJWTAccessTokens: false))
            defer { server.kill() }
            let first = try await Self.jwks(server)
            // The relying parties use ES256, RS256 and EdDSA: one key each, created at first start.
            #expect(Set(first.compactMap { $0["alg"] as? String }) == ["ES256", "RS256", "EdDSA"], "\(first)")
            let original = try #require(first.first { $0["alg"] as? String == "ES256" }?["kid"] as? String)
            let response = try await TestHTTP.get(server.baseURL + "/jwks")
            #expect(response.header("Cache-Control") == "public, max-age=1")
            let before = try await Self.idToken(server, user: OAuthDriver.newUser())
            #expect(before.kid == original && before.verifies(with: first))

            // 1. A next key is published, but does not sign yet. Without a reload, the workers
            // notice by themselves (every second with this staging time).
            let staged = try rotateKeys(server)
            #expect(staged.status == 0, "\(staged.output)")
            var withNext = first
            for _ in 0..<20 where withNext.count == first.count {
                try await Task.sleep(for: .milliseconds(250))
                withNext = try await Self.jwks(server)
            }
            let next = try #require(
                withNext.first { $0["alg"] as? String == "ES256" && !Self.kids(first).contains($0["kid"] as? String ?? "") }?["kid"] as? String,
                "no next ES256 key in \(withNext)")
            #expect(withNext.count == 6, "a next key for each of the three algorithms: \(withNext)")
            #expect(Self.kids(withNext).isSuperset(of: Self.kids(first)))
            try await expectEveryWorkerSigns(with: original, server, jwks: withNext)

            // Promoting a next key before relying parties had the staging time to fetch it is refused.
            let early = try rotateKeys(server)
            #expect(early.status == 1 && early.output.contains("key_staging_seconds"), "\(early.output)")

            // 2. The next key signs (after a reload, at once); the old one retires but stays published.
            try await Task.sleep(for: .seconds(3))
            let lastByOld = try await Self.idToken(server, user: OAuthDriver.newUser())
            #expect(lastByOld.kid == original)
            let promoted = try rotateKeys(server)
            #expect(promoted.status == 0, "\(promoted.output)")
            server.signal(SIGHUP)
            #expect(await server.waitForLog("configuration reloaded in place"))
            try await Task.sleep(for: .milliseconds(500))
            let afterPromotion = try await Self.jwks(server)
            #expect(Self.kids(afterPromotion).isSuperset(of: [original, next]), "the retired key is still published")
            #expect(before.verifies(with: afterPromotion) && lastByOld.verifies(with: afterPromotion),
                    "tokens signed before the rotation still verify against the JWKS")
            try await expectEveryWorkerSigns(with: next, server, jwks: afterPromotion)

            // 3. The retired key leaves the JWKS, but not before its last token expired.
            let lastExpiry = try #require(lastByOld.claims["exp"] as? Double)
            let deadline = Date().addingTimeInterval(30)
            var retiredGoneAt: Date?
            while Date() < deadline {
                if !Self.kids(try await Self.jwks(server)).contains(original) {
                    retiredGoneAt = Date()
                    break
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            let goneAt = try #require(retiredGoneAt, "the retired key never left the JWKS")
            #expect(goneAt.timeIntervalSince1970 >= lastExpiry, "the retired key left before its last token expired")
            #expect(Self.kids(try await Self.jwks(server)).contains(next))
            #expect(await server.stop() == 0)
        }
    }
}
