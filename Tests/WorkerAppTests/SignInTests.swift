import Foundation
import Logging
import NIOHTTP1
import SharedStorage
import TestSupport
import Testing

/// Signing in with the site's credentials, as a browser does it, in process: cookies, the form's
/// anti-CSRF token, return paths, signing out.
@Suite struct SignInTests {
    @Test func signingInReplacesTheSessionAndReturnsToThePageThatAsked() async throws {
        try await WorkerHarness.run(clients: TestConfig.clientsFile) { worker in
            // Mallory signs in, then plants her session cookie in the victim's browser.
            var mallory = Browser(worker)
            #expect(try await mallory.signIn("mallory").status == 303)
            let planted = try #require(mallory.sid)
            var browser = Browser(worker, sid: planted)

            let page = try await browser.get("/login?return_to=%2Fauthorize%3Fclient_id%3Dtest")
            #expect(page.status == 200)
            #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(page.body.contains("name=\"username\"") && page.body.contains("name=\"password\""))
            #expect(page.header("X-Frame-Options") == "DENY")
            #expect(page.header("Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
            #expect(page.header("Referrer-Policy") == "no-referrer")
            let cookie = try #require(page.headers["Set-Cookie"].first { $0.hasPrefix("login_form=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/login"))
            let csrf = try #require(Browser.csrf(in: page))

            let signedIn = try await browser.post("/login", form: [
                ("username", "bob.smith@example.com"), ("password", "password"), ("_csrf", csrf),
                ("return_to", "/authorize?client_id=test"),
            ])
            #expect(signedIn.status == 303)
            #expect(signedIn.header("Location") == "/authorize?client_id=test")
            #expect(browser.sid != nil && browser.sid != planted, "a new session id at login")
            #expect(browser.cookies["login_form"] == nil, "the spent form token is forgotten")
            #expect(try await browser.get("/login").body.contains("You are signed in as bob."))

            // The session planted before login is worth nothing now, to either of them.
            #expect(!(try await mallory.get("/login").body.contains("signed in")))
            #expect(!worker.log.text.contains("password=") && !worker.log.text.contains("&password"))
        }
    }

    /// A visitor who only looks at the sign-in page, or at error pages, costs the server no
    /// storage: the form's token lives in the browser. Counted on the worker's SQLite file, every
    /// row of every group but the signing keys (which the worker makes in the background at
    /// start); a sign-in afterwards shows the count does move. (The Redis half is
    /// `IntegrationTests.LoginTests`'.)
    @Test func anonymousVisitorsMakeTheServerStoreNothing() async throws {
        try await WorkerHarness.run { worker in
            let database = try await SQLiteDatabase.open(
                path: try #require(worker.sessionDatabase), logger: Logger(label: "stored-rows"))
            func stored() async throws -> Int {
                let tables = ["oauth2_records WHERE grp <> 'keys'", "oauth2_index", "oauth2_counters", "oauth2_audit"]
                let count = try await database.rows("SELECT " + tables.map { "(SELECT count(*) FROM \($0))" }.joined(separator: " + ") + " AS n")
                return count.first?.integer(0).map(Int.init) ?? -1
            }
            let before = try await stored()
            #expect(before >= 0)
            try await AnonymousVisits.make { Browser(worker) }
            #expect(try await stored() == before, "nothing stored for anonymous visits")

            var browser = Browser(worker)
            #expect(try await browser.signIn("bob").status == 303)
            #expect(try await stored() > before, "a sign-in is stored")
            await database.close()
        }
    }

    @Test func aWrongPasswordShowsTheFormAgainWithTheMessageEscaped() async throws {
        try await WorkerHarness.run(clients: TestConfig.clientsFile) { worker in
            var browser = Browser(worker)
            let csrf = try #require(Browser.csrf(in: try await browser.get("/login")))
            let firstForm = browser
            let hostile = "<script>alert(1)</script>\"'&"
            let failed = try await browser.post("/login", form: [("username", hostile), ("password", "nope"), ("_csrf", csrf)])
            #expect(failed.status == 401)
            #expect(failed.body.contains("Wrong username or password."))
            #expect(!failed.body.contains("<script>alert(1)"))
            // Shown again in the form's value attribute, quotes escaped too.
            #expect(failed.body.contains(#"name="username" value="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;""#), "\(failed.body)")
            #expect(!worker.log.text.contains("nope"), "passwords are never logged")

            // The failed sign-in renewed the form's anti-CSRF token, and the old one is spent:
            // sent again with its own cookie, it buys no second guess.
            let renewed = try #require(Browser.csrf(in: failed))
            #expect(renewed != csrf)
            #expect(try await browser.post("/login", form: [("username", "bob"), ("password", "password"), ("_csrf", csrf)]).status == 403)
            var replay = Browser(worker)
            replay.cookies = firstForm.cookies
            #expect(try await replay.post("/login", form: [("username", "bob"), ("password", "password"), ("_csrf", csrf)]).status == 403)
            let empty = try await browser.post("/login", form: [("username", ""), ("password", ""), ("_csrf", renewed)])
            #expect(empty.status == 400)
        }
    }

    @Test func aFormWithoutThisBrowsersTokenIsRefused() async throws {
        try await WorkerHarness.run(clients: TestConfig.clientsFile) { worker in
            var victim = Browser(worker)
            _ = try await victim.get("/login")
            var attacker = Browser(worker)
            let attackersToken = try #require(Browser.csrf(in: try await attacker.get("/login")))

            let forged = try await victim.post("/login", form: [("username", "mallory"), ("password", "password"), ("_csrf", attackersToken)])
            #expect(forged.status == 403)
            let missing = try await victim.post("/login", form: [("username", "mallory"), ("password", "password")])
            #expect(missing.status == 403)
            var stranger = Browser(worker)
            #expect(try await stranger.post("/login", form: [("username", "a"), ("password", "password"), ("_csrf", "x")]).status == 403)

            // A form cookie whose expiry was moved, or whose nonce was swapped, is refused.
            var tamperer = Browser(worker)
            let token = try #require(Browser.csrf(in: try await tamperer.get("/login")))
            let parts = try #require(tamperer.cookies["login_form"]).split(separator: ".").map(String.init)
            #expect(parts.count == 3 && parts[0] == token, "the cookie carries the form's nonce")
            for forged in ["\(parts[0]).\(Int64(parts[1])! + 86_400_000).\(parts[2])", "\(attackersToken).\(parts[1]).\(parts[2])"] {
                tamperer.cookies["login_form"] = forged
                let nonce = String(forged.prefix { $0 != "." })
                #expect(try await tamperer.post("/login", form: [("username", "a"), ("password", "password"), ("_csrf", nonce)]).status == 403)
            }
        }
    }

    @Test func onlyLocalReturnPathsAreFollowed() async throws {
        try await WorkerHarness.run(clients: TestConfig.clientsFile) { worker in
            // Browsers drop tabs and newlines from a URL and trim spaces: each of the last five
            // would become //evil.example/.
            let hostile = [
                "https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
                "/\t/evil.example/", "/\r\n/evil.example/", "/ /evil.example/", "/\u{0B}/evil.example/", "/\u{85}/evil.example/",
            ]
            for hostile in hostile {
                var browser = Browser(worker)
                let response = try await browser.signIn("bob", extra: [("return_to", hostile)])
                #expect(response.status == 303)
                #expect(response.header("Location") == "/login", "\(hostile) is not followed")
            }
        }
    }

    @Test func logoutEndsTheSessionAndRedirectsOnlyToRegisteredURIs() async throws {
        try await WorkerHarness.run(clients: TestConfig.clientsFile) { worker in
            var browser = Browser(worker)
            try await browser.signIn("bob")
            let signedIn = try #require(browser.sid)

            let out = try await browser.get("/logout?redirect_uri=http%3A%2F%2Flocalhost%3A8080%2F")
            #expect(out.status == 302)
            #expect(out.header("Location") == "http://localhost:8080/")
            var old = Browser(worker, sid: signedIn)
            #expect(!(try await old.get("/login").body.contains("signed in")), "the session is gone")

            #expect(try await browser.get("/logout?redirect_uri=https%3A%2F%2Fevil.example%2F").status == 204)
            #expect(try await browser.get("/logout").status == 204)
        }
    }
}
