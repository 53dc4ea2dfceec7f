import Foundation
import NIOHTTP1
import SharedPlatform
import SharedStorage
import TestSupport
import Testing

extension IntegrationTests {
    /// Signing in with the site's credentials, as a browser does it: cookies, forms, redirects.
    @Suite(.serialized)
    struct LoginTests {
        @Test func signingInReplacesTheSessionAndReturnsToThePageThatAsked() async throws {
            let server = try await ServerProcess.start(workers: 2)
            defer { server.kill() }
            // Mallory signs in, then plants her session cookie in the victim's browser.
            var mallory = Browser(server: server)
            #expect(try await mallory.signIn("mallory").status == 303)
            let planted = try #require(mallory.sid)
            var browser = Browser(server: server, sid: planted)

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
            #expect(!server.log().contains("password=") && !server.log().contains("&password"))
            #expect(await server.stop() == 0)
        }

        @Test func aWrongPasswordShowsTheFormAgainWithTheMessageEscaped() async throws {
            let server = try await ServerProcess.start(workers: 1)
            defer { server.kill() }
            var browser = Browser(server: server)
            let csrf = try #require(Browser.csrf(in: try await browser.get("/login")))
            let firstForm = browser
            let hostile = "<script>alert(1)</script>\"'&"
            let failed = try await browser.post("/login", form: [("username", hostile), ("password", "nope"), ("_csrf", csrf)])
            #expect(failed.status == 401)
            #expect(failed.body.contains("Wrong username or password."))
            #expect(!failed.body.contains("<script>alert(1)"))
            // Shown again in the form's value attribute, quotes escaped too.
            #expect(failed.body.contains(#"name="username" value="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;""#), "\(failed.body)")
            #expect(!server.log().contains("nope"), "passwords are never logged")

            // The failed sign-in renewed the form's anti-CSRF token, and the old one is spent:
            // sent again with its own cookie, it buys no second guess.
            let renewed = try #require(Browser.csrf(in: failed))
            #expect(renewed != csrf)
            #expect(try await browser.post("/login", form: [("username", "bob"), ("password", "password"), ("_csrf", csrf)]).status == 403)
            var replay = Browser(server: server)
            replay.cookies = firstForm.cookies
            #expect(try await replay.post("/login", form: [("username", "bob"), ("password", "password"), ("_csrf", csrf)]).status == 403)
            let empty = try await browser.post("/login", form: [("username", ""), ("password", ""), ("_csrf", renewed)])
            #expect(empty.status == 400)
            #expect(await server.stop() == 0)
        }

        @Test func aFormWithoutThisBrowsersTokenIsRefused() async throws {
            let server = try await ServerProcess.start(workers: 1)
            defer { server.kill() }
            var victim = Browser(server: server)
            _ = try await victim.get("/login")
            var attacker = Browser(server: server)
            let attackersToken = try #require(Browser.csrf(in: try await attacker.get("/login")))

            let forged = try await victim.post("/login", form: [("username", "mallory"), ("password", "password"), ("_csrf", attackersToken)])
            #expect(forged.status == 403)
            let missing = try await victim.post("/login", form: [("username", "mallory"), ("password", "password")])
            #expect(missing.status == 403)
            var stranger = Browser(server: server)
            #expect(try await stranger.post("/login", form: [("username", "a"), ("password", "password"), ("_csrf", "x")]).status == 403)

            // A form cookie whose expiry was moved, or whose nonce was swapped, is refused.
            var tamperer = Browser(server: server)
            let token = try #require(Browser.csrf(in: try await tamperer.get("/login")))
            let parts = try #require(tamperer.cookies["login_form"]).split(separator: ".").map(String.init)
            #expect(parts.count == 3 && parts[0] == token, "the cookie carries the form's nonce")
            for forged in ["\(parts[0]).\(Int64(parts[1])! + 86_400_000).\(parts[2])", "\(attackersToken).\(parts[1]).\(parts[2])"] {
                tamperer.cookies["login_form"] = forged
                let nonce = String(forged.prefix { $0 != "." })
                #expect(try await tamperer.post("/login", form: [("username", "a"), ("password", "password"), ("_csrf", nonce)]).status == 403)
            }
            #expect(await server.stop() == 0)
        }

        /// A visitor who only looks at the sign-in page, or at error pages, costs the server no
        /// storage: the form's token lives in the browser. Counted on a server's own SQLite file
        /// and on a Redis of its own; a sign-in afterwards shows the count does move.
        @Test(arguments: [false, true])
        func anonymousVisitorsMakeTheServerStoreNothing(sessionsInRedis: Bool) async throws {
            let redis = sessionsInRedis ? try await RedisServerProcess() : nil
            let overrides: [String: Any] = redis.map { redis in
                let group: [String: Any] = ["type": "Redis", "host": "127.0.0.1", "port": redis.port, "db": 0, "ttl": 600]
                return ["storage": ["session": group, "codes": group, "tokens": group, "refresh_tokens": group]]
            } ?? [:]
            let server = try await ServerProcess.start(workers: 2, overrides: overrides)
            defer { server.kill() }
            func stored() async throws -> Int {
                if let redis {
                    let (status, output) = try Command.output("/usr/bin/redis-cli", ["-p", "\(redis.port)", "DBSIZE"])
                    #expect(status == 0)
                    return Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
                }
                let tokens = try await StoredTokens.open(for: server)
                defer { Task { await tokens.close() } }
                // The signing keys are the server's own: each worker makes them, if none exist,
                // in the background after it starts, which may still be under way here.
                let tables = ["oauth2_records WHERE grp <> 'keys'", "oauth2_index", "oauth2_counters", "oauth2_audit"]
                let count = try await tokens.database.rows("SELECT " + tables.map { "(SELECT count(*) FROM \($0))" }.joined(separator: " + ") + " AS n")
                return count.first?.integer(0).map(Int.init) ?? -1
            }
            let before = try await stored()
            #expect(before >= 0)
            for visit in 0..<200 {
                var visitor = Browser(server: server)
                let page = try await visitor.get(visit % 2 == 0 ? "/login" : "/login?return_to=%2Freview")
                #expect(page.status == 200 && Browser.csrf(in: page) != nil)
                #expect(visitor.sid == nil, "no session for a visitor who has not signed in")
            }
            for errorPage in ["/authorize?client_id=nobody&response_type=code", "/review", "/no-such-page", "/authorize"] {
                #expect(try await TestHTTP.get(server.baseURL + errorPage).status != 200)
            }
            #expect(try await stored() == before, "nothing stored for anonymous visits")

            var browser = Browser(server: server)
            #expect(try await browser.signIn("bob").status == 303)
            #expect(try await stored() > before, "a sign-in is stored")
            #expect(await server.stop() == 0)
            await redis?.stop()
        }

        @Test func onlyLocalReturnPathsAreFollowed() async throws {
            let server = try await ServerProcess.start(workers: 1)
            defer { server.kill() }
            // Browsers drop tabs and newlines from a URL and trim spaces: each of the last five
            // would become //evil.example/.
            let hostile = [
                "https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
                "/\t/evil.example/", "/\r\n/evil.example/", "/ /evil.example/", "/\u{0B}/evil.example/", "/\u{85}/evil.example/",
            ]
            for hostile in hostile {
                var browser = Browser(server: server)
                let response = try await browser.signIn("bob", extra: [("return_to", hostile)])
                #expect(response.status == 303)
                #expect(response.header("Location") == "/login", "\(hostile) is not followed")
            }
            #expect(await server.stop() == 0)
        }

        @Test func whenTheSiteCannotCheckPasswordsTheLoginPageSaysSo() async throws {
            let server = try await ServerProcess.start(workers: 1, overrides: ["resource_server": ["timeout": 1]])
            defer { server.kill() }
            var browser = Browser(server: server)
            let csrf = try #require(Browser.csrf(in: try await browser.get("/login")))
            let site = try #require(ProcessTable.children(of: server.pid, named: "dummy-resource-server").first)
            kill(site, SIGSTOP)
            defer { kill(site, SIGCONT) }
            let response = try await browser.post("/login", form: [("username", "bob"), ("password", "password"), ("_csrf", csrf)])
            #expect(response.status == 503)
            #expect(response.body.contains("the site cannot check passwords"))
            #expect(response.body.contains("name=\"password\""), "the form is shown again")
            kill(site, SIGCONT)
            #expect(await server.stop() == 0)
        }

        @Test func logoutEndsTheSessionAndRedirectsOnlyToRegisteredURIs() async throws {
            let server = try await ServerProcess.start(workers: 1)
            defer { server.kill() }
            var browser = Browser(server: server)
            try await browser.signIn("bob")
            let signedIn = try #require(browser.sid)

            let out = try await browser.get("/logout?redirect_uri=http%3A%2F%2Flocalhost%3A8080%2F")
            #expect(out.status == 302)
            #expect(out.header("Location") == "http://localhost:8080/")
            var old = Browser(server: server, sid: signedIn)
            #expect(!(try await old.get("/login").body.contains("signed in")), "the session is gone")

            #expect(try await browser.get("/logout?redirect_uri=https%3A%2F%2Fevil.example%2F").status == 204)
            #expect(try await browser.get("/logout").status == 204)
            #expect(await server.stop() == 0)
        }
    }
}

extension IntegrationTests.LoginTests {
    @Test func theClientsFileIsReReadOnSIGHUP() async throws {
        let server = try await ServerProcess.start(workers: 2)
        defer { server.kill() }
        let workers = server.workers
        let newRedirect = "https%3A%2F%2Fnew-partner.example%2Fdone"
        #expect(try await TestHTTP.get("\(server.baseURL)/logout?redirect_uri=\(newRedirect)").status == 204)

        try """
            [{"client_id": "partner", "client_secret": "\(SharedPlatform.ClientSecret.hash(secret: "s", clientID: "partner").stored)",
              "allow_code_grant": true, "valid_redirects": ["https://new-partner.example/done"]}]
            """.write(toFile: "\(server.configDirectory)/clients.json", atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        #expect(await server.waitForLog("configuration reloaded in place"))
        #expect(await eventually {
            (try? await TestHTTP.get("\(server.baseURL)/logout?redirect_uri=\(newRedirect)"))?.status == 302
        })
        #expect(server.workers == workers, "re-read in place, without new workers")

        // A broken clients file is refused by the reload; the running list stays.
        try "[{\"client_id\": ".write(toFile: "\(server.configDirectory)/clients.json", atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        #expect(await server.waitForLog("clients.json: is not valid JSON"))
        #expect(try await TestHTTP.get("\(server.baseURL)/logout?redirect_uri=\(newRedirect)").status == 302)
        #expect(await server.stop() == 0)
    }
}
