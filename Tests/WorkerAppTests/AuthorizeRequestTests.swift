import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// GET and POST /authorize in process: the attacks an authorization server must not fall for
/// (RFC 6749 section 10, RFC 9700) — redirect matching, errors the client must hear, oversized
/// parameters, consent answered only by its own session, escaping, a client's allowed scopes.
@Suite struct AuthorizeRequestTests {
    @Test func onlyAnExactlyRegisteredRedirectURIIsEverRedirectedTo() async throws {
        try await WorkerHarness.run { worker in
            var driver = OAuthDriver(worker)
            try await driver.signIn(OAuthDriver.newUser())
            let registered = FlowClients.redirect  // http://localhost:8080/
            let lookalikes = [
                "http://localhost:8080",  // trailing slash missing
                "http://localhost:8080/callback",  // trailing path
                "http://localhost:8080/?next=https://evil.example/",  // extra query
                "http://localhost:8080/#fragment",
                "HTTP://LOCALHOST:8080/",  // case
                "http://localhost:8080@evil.example/",  // userinfo trick
                "http://user@localhost:8080/",
                "http://localhost:8080/%2e%2e/evil",
                "http://localhost.evil.example:8080/",
                "https://localhost:8080/",
                "http://localhost:8080/ ",
            ]
            for uri in lookalikes {
                for type in ["code", "token"] {
                    let response = try await driver.authorize(OAuthDriver.codeRequest(redirect: uri, responseType: type))
                    #expect(response.status == 400, "\(uri) must not be accepted")
                    #expect(response.header("Location") == nil, "\(uri) must never be redirected to")
                }
            }
            // A repeated redirect_uri, or none when the client registered exactly one, is handled too.
            let twice = try await driver.authorize([
                ("response_type", "code"), ("client_id", "test"), ("redirect_uri", registered), ("redirect_uri", "https://evil.example/"),
            ])
            #expect(twice.status == 400 && twice.header("Location") == nil)
            #expect(try await driver.authorize([("response_type", "code"), ("client_id", "test")]).status == 200)
            // The exact URI works, and its answer goes there and nowhere else.
            let decision = try await driver.answer(try await driver.authorize(OAuthDriver.codeRequest(redirect: registered)), allow: true)
            #expect(decision.header("Location")?.hasPrefix(registered + "?code=") == true)
        }
    }

    @Test func errorsTheClientMustHearAreRedirectedWithStateAndIssuer() async throws {
        try await WorkerHarness.run { worker in
            var driver = OAuthDriver(worker)  // not signed in: errors come before the login
            // Each case its own state, with characters that must be encoded, so an echo of the
            // wrong one, or a mangled one, shows.
            let cases: [(parameters: [(String, String)], error: String, state: String?)] = [
                // OpenID Connect's hybrid flow is not supported (id_token alone and with token are).
                (OAuthDriver.codeRequest(state: "one & two", responseType: "code id_token"), "unsupported_response_type", "one & two"),
                ([("client_id", "test"), ("redirect_uri", FlowClients.redirect), ("state", "s=2")], "invalid_request", "s=2"),
                (OAuthDriver.codeRequest(client: "codeonly", redirect: "http://localhost:8080/codeonly", state: "#3?", responseType: "token"),
                 "unauthorized_client", "#3?"),
                // A repeated state is no state: neither value is echoed.
                (OAuthDriver.codeRequest(extra: [("state", "again")]), "invalid_request", nil),
            ]
            for (parameters, error, state) in cases {
                let response = try await driver.authorize(parameters)
                #expect(response.status == 302)
                let location = try #require(response.header("Location"))
                let answer = location.contains("#") ? OAuthDriver.fragment(of: location) : OAuthDriver.query(of: location)
                #expect(answer["error"] == error, "\(parameters)")
                #expect(answer["state"] == state, "the client's state comes back exactly: \(location)")
                #expect(answer["iss"] == worker.baseURL)
                #expect(!location.contains("/login"))
            }
        }
    }

    @Test func parametersOverTwoKilobytesAreRefusedOnAPageNeverEchoed() async throws {
        try await WorkerHarness.run { worker in
            var driver = OAuthDriver(worker)
            let huge = String(repeating: "A", count: 2049)
            let requests: [[(String, String)]] = [
                OAuthDriver.codeRequest(state: huge), OAuthDriver.codeRequest(scope: huge), OAuthDriver.codeRequest(client: huge),
                OAuthDriver.codeRequest(redirect: FlowClients.redirect + huge), OAuthDriver.codeRequest(extra: [("nonce", huge)]),
            ]
            for parameters in requests {
                let response = try await driver.authorize(parameters)
                #expect(response.status == 400, "a page, not a redirect")
                #expect(response.header("Location") == nil)
                #expect(response.body.contains("invalid_request") && response.body.contains("longer than 2048 bytes"))
                #expect(!response.body.contains(huge))
            }
            // Exactly 2 KiB is fine.
            #expect(try await driver.authorize(OAuthDriver.codeRequest(state: String(huge.dropLast()))).status == 302)

            for json in [false, true] {
                let token = try await driver.post(
                    [("grant_type", "client_credentials"), ("scope", huge)], basic: ("service", FlowClients.secrets["service"]!), json: json)
                #expect(token.status == 400)
                #expect(try OAuthDriver.json(token)["error"] as? String == "invalid_request")
                #expect(!token.body.contains(huge))
            }
        }
    }

    @Test func aTransactionIsAnsweredOnlyByTheSessionItWasShownTo() async throws {
        try await WorkerHarness.run { worker in
            var victim = OAuthDriver(worker)
            try await victim.signIn(OAuthDriver.newUser("victim"))
            let page = try await victim.authorize(OAuthDriver.codeRequest())
            let transaction = try #require(OAuthDriver.hidden("transaction_id", in: page))

            // Another signed-in user (a cross-site form, a leaked id) cannot answer it.
            var attacker = OAuthDriver(worker)
            try await attacker.signIn(OAuthDriver.newUser("mallory"))
            let forged = try await attacker.browser.post("/authorize", form: [("transaction_id", transaction), ("scope", "read-only")])
            #expect(forged.status == 400)
            #expect(forged.header("Location") == nil)
            #expect(forged.body.contains("This request has expired"), "the page says why: \(forged.body)")
            // Nor can a browser with no session at all.
            let stranger = try await worker.send(
                worker.baseURL + "/authorize", method: .POST, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: Array("transaction_id=\(transaction)&scope=read-only".utf8))
            #expect(stranger.status == 400 && stranger.header("Location") == nil)
        }
    }

    /// The consent and review pages read their answers the same way: a form without its
    /// transaction is refused as unreadable, and an answer counts once.
    @Test func pageAnswersCountOnceAndAFormWithoutItsTransactionIsRefused() async throws {
        try await WorkerHarness.run { worker in
            var driver = OAuthDriver(worker)
            try await driver.signIn(OAuthDriver.newUser())
            _ = try await driver.authorize(OAuthDriver.codeRequest())
            let unreadable = try await driver.browser.post("/authorize", form: [("scope", "read-only")])
            #expect(unreadable.status == 400 && unreadable.body.contains("The form could not be read."))

            _ = try await driver.code(OAuthDriver.codeRequest())
            let page = try await driver.browser.get("/review?client_id=test&redirect_uri=" + OAuthDriver.encode(FlowClients.redirect))
            let transaction = try #require(OAuthDriver.hidden("transaction_id", in: page))
            let saved = try await driver.browser.post("/review", form: [("transaction_id", transaction), ("app0", "on")])
            #expect(saved.status == 303)
            let again = try await driver.browser.post("/review", form: [("transaction_id", transaction)])
            #expect(again.status == 400 && again.body.contains("This page has expired"), "a review is saved once: \(again.status)")
            let withoutTransaction = try await driver.browser.post("/review", form: [("app0", "on")])
            #expect(withoutTransaction.status == 400 && withoutTransaction.body.contains("The form could not be read."))
        }
    }

    @Test func reflectedInputIsEscapedOnEveryPage() async throws {
        try await WorkerHarness.run { worker in
            let hostile = "<script>alert(1)</script>\"'"
            let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;"
            var driver = OAuthDriver(worker)

            // The error page names the unknown client, escaped where the message is rendered.
            let unknown = try await driver.authorize(OAuthDriver.codeRequest(client: hostile))
            #expect(unknown.status == 400)
            #expect(!unknown.body.contains("<script>alert(1)"))
            #expect(unknown.body.contains("The application &quot;\(escaped)&quot; is not registered here."), "\(unknown.body)")

            // The consent page shows the user's name and the client's name (FlowClients: "Other <b>App</b>").
            let suffix = UUID().uuidString.prefix(6)
            try await driver.signIn("<b>\"bold\"</b>'\(suffix)")
            let page = try await driver.authorize(OAuthDriver.codeRequest(client: "other", redirect: FlowClients.otherRedirect))
            #expect(page.status == 200)
            #expect(!page.body.contains("<b>"))
            #expect(page.body.contains("Signed in as <strong>&lt;b&gt;&quot;bold&quot;&lt;/b&gt;&#39;\(suffix)</strong>"), "\(page.body)")
            #expect(page.body.contains("Allow Other &lt;b&gt;App&lt;/b&gt; to use your account?"), "\(page.body)")

            // The state is not shown on any page; it travels back exactly, encoded in the redirect.
            let state = "a b&c=d#e<\"'>"
            let consent = try await driver.authorize(OAuthDriver.codeRequest(state: state))
            #expect(consent.status == 200)
            let decision = try await driver.answer(consent, allow: true)
            let location = try #require(decision.header("Location"))
            #expect(!location.contains(" ") && !location.contains("<") && !location.contains("\""))
            #expect(OAuthDriver.query(of: location)["state"] == state)
        }
    }

    @Test func aClientsAllowedScopesBoundWhatAUserCanGrantIt() async throws {
        try await WorkerHarness.run { worker in
            var driver = OAuthDriver(worker)
            try await driver.signIn(OAuthDriver.newUser())
            let pkce = [("code_challenge", OAuthDriver.pkcePair().challenge), ("code_challenge_method", "S256")]
            let redirect = "http://localhost:8080/codeonly"
            let page = try await driver.authorize(OAuthDriver.codeRequest(client: "codeonly", redirect: redirect, scope: "read-only read-write", extra: pkce))
            #expect(OAuthDriver.hidden("scope", in: page) == "read-only", "read-write is not allowed for this client")
            let refused = try await driver.authorize(OAuthDriver.codeRequest(client: "codeonly", redirect: redirect, scope: "read-write", extra: pkce))
            #expect(refused.status == 302)
            #expect(OAuthDriver.query(of: refused.header("Location") ?? "")["error"] == "invalid_scope")
        }
    }
}
