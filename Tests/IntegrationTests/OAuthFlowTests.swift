import Foundation
import SharedStorage
import TestSupport
import Testing

extension IntegrationTests {
    /// The Node original's own scenarios (jlabusch/oauth2-server's test/code_grant.js and
    /// test/implicit.js), driven over HTTP against the real binaries with a cookie-keeping browser,
    /// with RFC 6749's status codes where the original's were wrong; on the embedded default and on Redis + PostgreSQL.
    @Suite(.serialized)
    struct OAuthFlowTests {
        @Test(arguments: FlowBackend.allCases)
        func codeGrantFrontChannel(_ backend: FlowBackend) async throws {
            let server = try await OAuthDriver.start(backend)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            let request = OAuthDriver.codeRequest()

            // Login challenge: no session, so the browser is sent to {url}/login, to come back.
            let challenge = try await driver.authorize(request)
            #expect(challenge.status == 302)
            let login = try #require(challenge.header("Location"))
            #expect(login.hasPrefix("\(server.baseURL)/login?return_to=%2Fauthorize%3F"))

            // Bad password: the form again with the message.
            let user = OAuthDriver.newUser()
            let wrong = try await driver.signIn(user, password: "wrong")
            #expect(wrong.status == 401)
            #expect(wrong.body.contains("name=\"password\""))

            // Bad client id: an error page, never a redirect.
            let badClient = try await driver.authorize(OAuthDriver.codeRequest(client: "no-such-client"))
            #expect(badClient.status == 400)
            #expect(badClient.header("Location") == nil)
            #expect(badClient.body.contains("not registered"))

            // Good password: back to the page that asked.
            let page = try await driver.browser.get(String(login.dropFirst(server.baseURL.count)))
            let csrf = try #require(Browser.csrf(in: page))
            let returnTo = try #require(OAuthDriver.hidden("return_to", in: page)).replacingOccurrences(of: "&amp;", with: "&")
            let signedIn = try await driver.browser.post("/login", form: [
                ("username", user), ("password", "password"), ("_csrf", csrf), ("return_to", returnTo),
            ])
            #expect(signedIn.status == 303)
            let back = try #require(signedIn.header("Location"))
            #expect(back.hasPrefix("/authorize?"))

            // Remembers the session: the consent page, with the client's name, the scope, and the form.
            let dialog = try await driver.browser.get(back)
            #expect(dialog.status == 200)
            #expect(dialog.body.contains("Automated tests"))
            #expect(dialog.body.contains("See your profile <small>(read-only)</small>"), "no scope asked: the lowest, explained")
            #expect(dialog.body.contains("name=\"cancel\""))
            #expect(dialog.header("X-Frame-Options") == "DENY")
            #expect(dialog.header("Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
            #expect(dialog.header("Referrer-Policy") == "no-referrer")
            #expect(dialog.header("Access-Control-Allow-Origin") == nil, "no CORS on /authorize")
            #expect(dialog.header("Strict-Transport-Security") == nil, "plain http (behind a proxy that sets it, or a test)")
            let first = try #require(OAuthDriver.hidden("transaction_id", in: dialog))
            let again = try await driver.authorize(request)
            #expect(OAuthDriver.hidden("transaction_id", in: again) != first, "a new transaction for a new request")

            // Deny: back to the client with access_denied and the state.
            let denied = try await driver.answer(again, allow: false)
            #expect(denied.status == 302)
            let deniedAt = try #require(denied.header("Location"))
            #expect(deniedAt.hasPrefix(FlowClients.redirect + "?"))
            let deniedQuery = OAuthDriver.query(of: deniedAt)
            #expect(deniedQuery["error"] == "access_denied")
            #expect(deniedQuery["state"] == "xyz")
            #expect(deniedQuery["iss"] == server.baseURL)

            // Still signed in; the answered transaction cannot be answered again.
            #expect(try await driver.authorize(request).status == 200)
            let reused = try await driver.answer(again, allow: true)
            #expect(reused.status == 400)
            #expect(reused.header("Location") == nil)

            // Consent: a code and the state.
            let granted = try await driver.consentedRedirect(request)
            #expect(granted["code"] != nil)
            #expect(granted["state"] == "xyz")
            #expect(granted["iss"] == server.baseURL)
            // And another one.
            let next = try await driver.code()
            #expect(next != granted["code"])
            #expect(await server.stop() == 0)
        }

        @Test(arguments: FlowBackend.allCases)
        func codeGrantBackChannel(_ backend: FlowBackend) async throws {
            let server = try await OAuthDriver.start(backend)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            try await driver.signIn(OAuthDriver.newUser())

            // A valid client presenting another client's code: refused, and the code is burnt.
            let stolen = try await driver.code()
            let wrongClient = try await driver.post(
                [("grant_type", "authorization_code"), ("code", stolen), ("redirect_uri", FlowClients.redirect)],
                basic: ("other", "other-secret"))
            #expect(wrongClient.status == 400)
            #expect(try OAuthDriver.json(wrongClient)["error"] as? String == "invalid_grant")
            let burnt = try await driver.post(
                [("grant_type", "authorization_code"), ("code", stolen), ("redirect_uri", FlowClients.redirect)], basic: ("test", "hunter2"))
            #expect(burnt.status == 400, "one use only")
            #expect(try OAuthDriver.json(burnt)["error"] as? String == "invalid_grant")

            // A code presented with another redirect URI than it was issued for: refused, and
            // burnt too, so the right one does not bring it back.
            let misdirected = try await driver.code()
            let wrongRedirect = try await driver.post(
                [("grant_type", "authorization_code"), ("code", misdirected), ("redirect_uri", FlowClients.otherRedirect)], basic: ("test", "hunter2"))
            #expect(wrongRedirect.status == 400)
            #expect(try OAuthDriver.json(wrongRedirect)["error"] as? String == "invalid_grant")
            let retried = try await driver.post(
                [("grant_type", "authorization_code"), ("code", misdirected), ("redirect_uri", FlowClients.redirect)], basic: ("test", "hunter2"))
            #expect(retried.status == 400, "the code is spent")
            #expect(try OAuthDriver.json(retried)["error"] as? String == "invalid_grant")

            // Basic credentials: tokens, never cached.
            let code = try await driver.code()
            let response = try await driver.post(
                [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", FlowClients.redirect)], basic: ("test", "hunter2"))
            #expect(response.status == 200)
            #expect(response.header("Cache-Control") == "no-store")
            #expect(response.header("Pragma") == "no-cache")
            let tokens = try OAuthDriver.json(response)
            let access = try #require(tokens["access_token"] as? String)
            #expect(tokens["token_type"] as? String == "Bearer")
            #expect(tokens["expires_in"] as? Int == 7200)
            #expect(tokens["scope"] as? String == "read-only")
            #expect(tokens["refresh_token"] is String)
            #expect(try await driver.api("profile", token: access).status == 200)

            // The same code again: refused, and what it gave is revoked (RFC 6749 4.1.2).
            let replay = try await driver.post(
                [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", FlowClients.redirect)], basic: ("test", "hunter2"))
            #expect(replay.status == 400)
            #expect(try await driver.api("profile", token: access).status == 401)

            // Credentials in a JSON body, as the Node original's documented clients send them; a new grant
            // to the same user and client ends the previous token.
            let before = try await driver.exchange(try await driver.code())
            let oldToken = try #require(before["access_token"] as? String)
            let viaBody = try await driver.post(
                [("grant_type", "authorization_code"), ("code", try await driver.code()), ("redirect_uri", FlowClients.redirect),
                 ("client_id", "test"), ("client_secret", "hunter2")], json: true)
            #expect(viaBody.status == 200)
            let newToken = try #require(try OAuthDriver.json(viaBody)["access_token"] as? String)
            #expect(newToken != oldToken)
            #expect(try await driver.api("profile", token: oldToken).status == 401)
            #expect(try await driver.api("profile", token: newToken).status == 200)

            // Bad tokens and unknown functions.
            let bad = try await driver.api("profile", token: "not-a-token")
            #expect(bad.status == 401)
            #expect(bad.header("WWW-Authenticate") == #"Bearer realm="Users", error="invalid_token""#)
            #expect(try await driver.api("no_such_function", token: newToken).status == 404)
            #expect(await server.stop() == 0)
        }

        @Test(arguments: FlowBackend.allCases)
        func explicitAndMultipleScopes(_ backend: FlowBackend) async throws {
            let server = try await OAuthDriver.start(backend)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            try await driver.signIn(OAuthDriver.newUser("alice"))

            let readOnly = try await driver.exchange(try await driver.code(OAuthDriver.codeRequest(scope: "read-only")))
            let readOnlyToken = try #require(readOnly["access_token"] as? String)
            #expect(try await driver.api("profile", token: readOnlyToken).status == 200)
            let refused = try await driver.api("update_avatar", token: readOnlyToken)
            #expect(refused.status == 403, "insufficient scope")
            #expect(refused.header("WWW-Authenticate")?.contains("insufficient_scope") == true)
            #expect(try await driver.api("missing", token: readOnlyToken).status == 404)

            // Several scopes, an unknown one (falls to the lowest) and a duplicate.
            let page = try await driver.authorize(OAuthDriver.codeRequest(scope: "read-only read-write bogus read-write"))
            #expect(OAuthDriver.hidden("scope", in: page) == "read-only read-write")
            let decision = try await driver.answer(page, allow: true)
            let both = try await driver.exchange(try OAuthDriver.code(in: decision))
            #expect(both["scope"] as? String == "read-only read-write")
            let bothToken = try #require(both["access_token"] as? String)
            #expect(try await driver.api("profile", token: bothToken).status == 200)
            #expect(try await driver.api("update_avatar", token: bothToken).status == 200)

            // Form-style encoding, as Python's urlencode and HTML GET forms write it: + is a space.
            let plus = try await driver.browser.get(
                "/authorize?response_type=code&client_id=test&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2F&scope=read-only+read-write&state=a+b")
            #expect(OAuthDriver.hidden("scope", in: plus) == "read-only read-write")
            let plusAnswer = try await driver.answer(plus, allow: true)
            #expect(OAuthDriver.query(of: plusAnswer.header("Location") ?? "")["state"] == "a b")

            // A tampered form cannot widen what the page offered.
            let narrow = try await driver.authorize(OAuthDriver.codeRequest(scope: "read-only"))
            let widened = try await driver.answer(narrow, allow: true, scope: "read-only read-write")
            let widenedTokens = try await driver.exchange(try OAuthDriver.code(in: widened))
            #expect(widenedTokens["scope"] as? String == "read-only")
            #expect(await server.stop() == 0)
        }

        @Test(arguments: FlowBackend.allCases)
        func refreshTokensRotateAndAReusedOneEndsTheGrant(_ backend: FlowBackend) async throws {
            let server = try await OAuthDriver.start(backend)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            try await driver.signIn(OAuthDriver.newUser())
            let first = try await driver.exchange(try await driver.code())
            let firstRefresh = try #require(first["refresh_token"] as? String)
            let firstAccess = try #require(first["access_token"] as? String)

            let refreshed = try await driver.post([("grant_type", "refresh_token"), ("refresh_token", firstRefresh)], basic: ("test", "hunter2"))
            #expect(refreshed.status == 200)
            #expect(refreshed.header("Cache-Control") == "no-store")
            let second = try OAuthDriver.json(refreshed)
            let secondAccess = try #require(second["access_token"] as? String)
            let secondRefresh = try #require(second["refresh_token"] as? String)
            #expect(secondAccess != firstAccess && secondRefresh != firstRefresh, "both tokens change")
            #expect(try await driver.api("profile", token: firstAccess).status == 401, "the old pair is revoked")
            #expect(try await driver.api("profile", token: secondAccess).status == 200)

            // Another client cannot use it: refused and burnt.
            let third = try OAuthDriver.json(try await driver.post(
                [("grant_type", "refresh_token"), ("refresh_token", secondRefresh)], basic: ("test", "hunter2")))
            let thirdRefresh = try #require(third["refresh_token"] as? String)
            let thirdAccess = try #require(third["access_token"] as? String)
            let foreign = try await driver.post([("grant_type", "refresh_token"), ("refresh_token", thirdRefresh)], basic: ("other", "other-secret"))
            #expect(foreign.status == 400)
            #expect(try OAuthDriver.json(foreign)["error"] as? String == "invalid_grant")

            // The Node original only refused an old refresh token; RFC 9700 4.14.2 also ends the grant,
            // because the token was copied: the current access token dies with it.
            let reused = try await driver.post([("grant_type", "refresh_token"), ("refresh_token", firstRefresh)], basic: ("test", "hunter2"))
            #expect(reused.status == 400)
            #expect(try OAuthDriver.json(reused)["error"] as? String == "invalid_grant")
            #expect(try await driver.api("profile", token: thirdAccess).status == 401)
            #expect(await server.stop() == 0)
        }

        @Test(arguments: FlowBackend.allCases)
        func implicitGrant(_ backend: FlowBackend) async throws {
            let server = try await OAuthDriver.start(backend)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            try await driver.signIn(OAuthDriver.newUser("carol"))
            let request = OAuthDriver.codeRequest(responseType: "token")

            // Deny: the error in the fragment.
            let denied = try await driver.answer(try await driver.authorize(request), allow: false)
            let deniedAt = try #require(denied.header("Location"))
            #expect(deniedAt.hasPrefix(FlowClients.redirect + "#"))
            #expect(OAuthDriver.fragment(of: deniedAt)["error"] == "access_denied")
            #expect(OAuthDriver.fragment(of: deniedAt)["state"] == "xyz")
            #expect(OAuthDriver.fragment(of: deniedAt)["iss"] == server.baseURL)

            // Allow: the token in the fragment, never a refresh token, nothing in the query.
            let location = try #require(try await driver.answer(try await driver.authorize(request), allow: true).header("Location"))
            #expect(!location.contains("?"))
            let fragment = OAuthDriver.fragment(of: location)
            let token = try #require(fragment["access_token"])
            #expect(fragment["token_type"] == "Bearer")
            #expect(fragment["expires_in"] == "7200")
            #expect(fragment["scope"] == "read-only")
            #expect(fragment["state"] == "xyz")
            #expect(fragment["refresh_token"] == nil)
            #expect(try await driver.api("profile", token: token).status == 200)

            // Another token: different, and the earlier one is revoked.
            let second = try #require(try await driver.consentedRedirect(request)["access_token"])
            #expect(second != token)
            #expect(try await driver.api("profile", token: token).status == 401)
            #expect(try await driver.api("profile", token: second).status == 200)

            // Denying later revokes what the client holds, as the Node original does.
            _ = try await driver.answer(try await driver.authorize(request), allow: false)
            #expect(try await driver.api("profile", token: second).status == 401)
            #expect(await server.stop() == 0)
        }

        @Test(arguments: FlowBackend.allCases)
        func reviewRevokesTheUntickedClients(_ backend: FlowBackend) async throws {
            let server = try await OAuthDriver.start(backend)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            let reviewPath = "/review?client_id=test&redirect_uri=" + OAuthDriver.encode(FlowClients.redirect)

            // Not signed in: to the login page first.
            let challenge = try await driver.browser.get(reviewPath)
            #expect(challenge.status == 302)
            #expect(challenge.header("Location")?.hasPrefix("\(server.baseURL)/login?return_to=%2Freview%3F") == true)

            try await driver.signIn(OAuthDriver.newUser("dave"))
            let kept = try #require(try await driver.exchange(try await driver.code())["access_token"] as? String)
            let otherCode = try await driver.code(OAuthDriver.codeRequest(client: "other", redirect: FlowClients.otherRedirect, scope: "read-write"))
            let dropped = try await driver.exchange(otherCode, client: "other", redirect: FlowClients.otherRedirect)
            let droppedToken = try #require(dropped["access_token"] as? String)
            let droppedRefresh = try #require(dropped["refresh_token"] as? String)

            let page = try await driver.browser.get(reviewPath)
            #expect(page.status == 200)
            #expect(page.header("X-Frame-Options") == "DENY")
            #expect(page.body.contains(#"name="2" checked"#) && page.body.contains(#"name="3" checked"#), "one ticked box per client, by id")
            #expect(page.body.contains("Automated tests") && page.body.contains("read-write"))
            #expect(page.body.contains("Other &lt;b&gt;App&lt;/b&gt;"), "names are escaped")
            let transaction = try #require(OAuthDriver.hidden("transaction_id", in: page))

            let saved = try await driver.browser.post("/review", form: [("transaction_id", transaction), ("2", "on")])
            #expect(saved.status == 303)
            #expect(saved.header("Location") == FlowClients.redirect)
            #expect(try await driver.api("profile", token: kept).status == 200)
            #expect(try await driver.api("profile", token: droppedToken).status == 401)
            let refresh = try await driver.post(
                [("grant_type", "refresh_token"), ("refresh_token", droppedRefresh)], basic: ("other", "other-secret"))
            #expect(refresh.status == 400, "the refresh token is revoked too")
            #expect(!(try await driver.browser.get(reviewPath)).body.contains("Other &lt;b&gt;"))

            // The transaction was used; bad links are error pages.
            #expect(try await driver.browser.post("/review", form: [("transaction_id", transaction)]).status == 400)
            #expect(try await driver.browser.get("/review?client_id=test&redirect_uri=https%3A%2F%2Fevil.example%2F").status == 400)
            #expect(try await driver.browser.get("/review?client_id=nobody&redirect_uri=" + OAuthDriver.encode(FlowClients.redirect)).status == 400)
            #expect(await server.stop() == 0)
        }
    }
}
