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

        /// A visitor who only looks at the sign-in page, or at error pages, costs the server no
        /// storage: the form's token lives in the browser. Counted on a Redis of its own (the
        /// SQLite half runs in process: `SignInTests`); a sign-in afterwards shows the count does move.
        @Test func anonymousVisitorsMakeTheServerStoreNothing() async throws {
            let redis = try await RedisServerProcess()
            let group: [String: Any] = ["type": "Redis", "host": "127.0.0.1", "port": redis.port, "db": 0, "ttl": 600]
            let overrides: [String: Any] = ["storage": ["session": group, "codes": group, "tokens": group, "refresh_tokens": group]]
            let server = try await ServerProcess.start(workers: 2, overrides: overrides)
            defer { server.kill() }
            func stored() async throws -> Int {
                let (status, output) = try Command.output("/usr/bin/redis-cli", ["-p", "\(redis.port)", "DBSIZE"])
                #expect(status == 0)
                return Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            }
            let before = try await stored()
            #expect(before >= 0)
            try await AnonymousVisits.make { Browser(server: server) }
            #expect(try await stored() == before, "nothing stored for anonymous visits")

            var browser = Browser(server: server)
            #expect(try await browser.signIn("bob").status == 303)
            #expect(try await stored() > before, "a sign-in is stored")
            #expect(await server.stop() == 0)
            await redis.stop()
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
