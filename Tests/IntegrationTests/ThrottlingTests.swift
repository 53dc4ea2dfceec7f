import Foundation
import NIOHTTP1
import TestSupport
import Testing

extension IntegrationTests {
    /// Guessing client secrets and passwords costs the guesser waits, counted across every
    /// worker (and, in a shared store, every host), without locking out the real client or
    /// user elsewhere. Addresses come from X-Real-IP (behind_proxy), as behind nginx.
    @Suite(.serialized)
    struct ThrottlingTests {
        static var throttling: [String: Any] {
            [
            "behind_proxy": true,
            "throttling": [
                "client_failures": 4, "login_failures_per_user": 3, "login_failures_per_address": 5,
                "first_wait_seconds": 1, "growth": 2, "longest_wait_seconds": 60, "window_seconds": 600,
            ],
            ]
        }

        private func token(_ server: ServerProcess, secret: String, from address: String) async throws -> TestResponse {
            try await TestHTTP.send(
                server.baseURL + "/token", method: .POST,
                headers: [
                    ("Content-Type", "application/x-www-form-urlencoded"), ("X-Real-IP", address),
                    ("Authorization", "Basic " + Data("service:\(secret)".utf8).base64EncodedString()),
                ],
                body: "grant_type=client_credentials")
        }

        private func expectThrottled(_ response: TestResponse, _ what: String) throws {
            #expect(response.status == 429, "\(what): \(response.status) \(response.body)")
            let retryAfter = try #require(response.header("Retry-After").flatMap(Int.init), "\(what): Retry-After")
            #expect((1...2).contains(retryAfter), "\(what): the first wait is short")
            let json = try OAuthDriver.json(response)
            #expect(json["error"] as? String == "slow_down" && json["error_description"] is String, "\(what): \(response.body)")
        }

        @Test func guessingAClientSecretIsThrottledOnEveryWorkerButNotFromElsewhere() async throws {
            let server = try await ServerProcess.start(workers: 3, overrides: ["auth_server": Self.throttling], clients: FlowClients.file)
            defer { server.kill() }
            let attacker = "198.51.100.7"
            // A new connection each: the guesses land on all three workers.
            for guess in 1...4 {
                #expect(try await token(server, secret: "guess-\(guess)", from: attacker).status == 401)
            }
            try expectThrottled(try await token(server, secret: "guess-5", from: attacker), "the fifth guess")
            try expectThrottled(try await token(server, secret: "service-secret", from: attacker), "even the right secret, from there")
            // The same client from another address is not locked out.
            #expect(try await token(server, secret: "service-secret", from: "198.51.100.8").status == 200)
            // IPv6 addresses count by /64: another address in the same /64 is the same guesser.
            for guess in 1...4 {
                #expect(try await token(server, secret: "v6-\(guess)", from: "2001:db8:1:2::\(guess)").status == 401)
            }
            try expectThrottled(try await token(server, secret: "service-secret", from: "2001:db8:1:2::ff"), "the same /64")
            #expect(try await token(server, secret: "service-secret", from: "2001:db8:1:3::1").status == 200, "another /64")

            // After the wait, the right secret works and clears the count; a guess then is a 401 again.
            try await Task.sleep(for: .milliseconds(1_100))
            #expect(try await token(server, secret: "service-secret", from: attacker).status == 200)
            #expect(try await token(server, secret: "guess-6", from: attacker).status == 401, "a success restored the budget")
            #expect(server.logLines(containing: "throttled client service from 198.51.100.7").count == 1, "logged once per key and window")
            #expect(await server.stop() == 0)
        }

        @Test func twoServersOnOneRedisCountTogetherAndEachWorkerCountsAloneWhileItIsDown() async throws {
            let redis = try await RedisServerProcess()
            let redisGroup: [String: Any] = ["type": "Redis", "host": "127.0.0.1", "port": redis.port, "db": 0]
            // Counters live in the session group (the default), here on Redis; tokens stay in SQLite.
            let overrides: [String: Any] = ["auth_server": Self.throttling, "storage": ["session": redisGroup]]
            let first = try await ServerProcess.start(workers: 2, overrides: overrides, clients: FlowClients.file)
            defer { first.kill() }
            let second = try await ServerProcess.start(workers: 2, overrides: overrides, clients: FlowClients.file)
            defer { second.kill() }

            let attacker = "192.0.2.44"
            for guess in 1...2 { #expect(try await token(first, secret: "first-\(guess)", from: attacker).status == 401) }
            for guess in 1...2 { #expect(try await token(second, secret: "second-\(guess)", from: attacker).status == 401) }
            try expectThrottled(try await token(first, secret: "service-secret", from: attacker), "host one, after guesses on both")
            try expectThrottled(try await token(second, secret: "service-secret", from: attacker), "host two, after guesses on both")

            // Redis goes away: each worker keeps its own counters with its share (4 / 2 workers)
            // of the budget, so guessing still stops within a few tries, and it says so.
            await redis.stop()
            var tries = 0
            var throttled = false
            while tries < 6, !throttled {
                tries += 1
                throttled = try await token(first, secret: "local-\(tries)", from: "192.0.2.45").status == 429
            }
            #expect(throttled && tries <= 5, "a guesser met a wait after \(tries) tries with the store down")
            #expect(await first.waitForLog("throttling cannot reach storage group session"))
            #expect(try await token(first, secret: "service-secret", from: "192.0.2.46").status == 200, "the client itself still gets tokens")
            #expect(await first.stop() == 0)
            #expect(await second.stop() == 0)
        }

        @Test func guessingPasswordsIsThrottledPerUserAndPerAddress() async throws {
            let server = try await ServerProcess.start(workers: 2, overrides: ["auth_server": Self.throttling])
            defer { server.kill() }
            var browser = Browser(server: server)
            var csrf = try #require(Browser.csrf(in: try await browser.get("/login")))
            func signIn(_ username: String, _ password: String, from address: String) async throws -> TestResponse {
                let response = try await browser.post(
                    "/login", form: [("username", username), ("password", password), ("_csrf", csrf)], headers: [("X-Real-IP", address)])
                if let next = Browser.csrf(in: response) {
                    #expect(next != csrf, "a new anti-CSRF token after a failed sign-in")
                    csrf = next
                }
                return response
            }

            let attacker = "203.0.113.9"
            for _ in 1...3 { #expect(try await signIn("alice", "wrong", from: attacker).status == 401) }
            let throttled = try await signIn("alice", "password", from: attacker)
            #expect(throttled.status == 429, "even the right password waits: \(throttled.status)")
            #expect(throttled.header("Retry-After").flatMap(Int.init) != nil)
            #expect(throttled.body.contains("Too many failed sign-ins. Please wait 1 second before you try again.")
                || throttled.body.contains("Please wait 2 seconds"), "the page says how long to wait")
            // Alice from her own address is not locked out.
            #expect(try await signIn("alice", "password", from: "203.0.113.10").status == 303)

            // Credential stuffing: other usernames from the same address until its budget is
            // spent (with a new form: signing in spent the one above).
            browser = Browser(server: server)
            csrf = try #require(Browser.csrf(in: try await browser.get("/login")))
            #expect(try await signIn("bob", "wrong", from: attacker).status == 401)
            #expect(try await signIn("carol", "wrong", from: attacker).status == 401)
            #expect(try await signIn("dave", "password", from: attacker).status == 429, "the address spent its budget")
            #expect(await server.stop() == 0)
        }
    }
}
