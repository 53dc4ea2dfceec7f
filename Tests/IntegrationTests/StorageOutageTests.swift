import Foundation
import TestSupport
import Testing

extension IntegrationTests {
    /// A database that goes away under a running server: clean 503s within seconds, no worker
    /// crash, one log line per outage, and service back by itself when the database returns.
    @Suite(.serialized)
    struct StorageOutageTests {
        private func expectOutage(server: ServerProcess, failingGroup: String) async throws {
            // The health check answers from a probe at most a second old, each worker its own:
            // once one worker has seen the outage, a second later every one sees it. The wait is
            // that bound under test (every answer after it is a 503), not a synchronisation.
            #expect(await eventually(timeout: .seconds(5)) {
                (try? await TestHTTP.get("\(server.baseURL)/healthcheck/storage"))?.status == 503
            })
            try await Task.sleep(for: .milliseconds(1200))
            for _ in 0..<6 {
                let started = ContinuousClock.now
                let response = try await TestHTTP.get("\(server.baseURL)/healthcheck/storage")
                #expect(response.status == 503)
                #expect(response.body.contains("\"\(failingGroup)\":\"unavailable\""))
                #expect(response.body.contains("\"status\":\"unavailable\""))
                #expect(ContinuousClock.now - started < .seconds(5), "a request waited too long for a dead database")
            }
        }

        @Test func redisOutageAnswers503AndRecovers() async throws {
            let redis = try await RedisServerProcess()
            let redisGroup: [String: Any] = ["type": "Redis", "host": "127.0.0.1", "port": redis.port, "db": 0, "ttl": 60]
            let server = try await ServerProcess.start(
                workers: 2, overrides: ["storage": ["codes": redisGroup, "tokens": redisGroup, "session": redisGroup]])
            defer { server.kill() }
            let workers = server.workers
            #expect(try await TestHTTP.get("\(server.baseURL)/healthcheck/storage").status == 200)

            await redis.stop()
            try await expectOutage(server: server, failingGroup: "codes")
            #expect(server.workers == workers, "no worker crashed")
            let outage = "storage Redis 127.0.0.1:\(redis.port)/0 is unavailable"
            #expect(await server.waitForLog(outage))
            #expect(server.logLines(containing: outage).count <= workers.count, "logged once per worker, not per request")

            try await redis.start()
            #expect(await eventually(timeout: .seconds(15)) {
                (try? await TestHTTP.get("\(server.baseURL)/healthcheck/storage"))?.status == 200
            })
            // The line travels through the supervisor's log relay, so it may follow the answer.
            #expect(await server.waitForLog("storage Redis 127.0.0.1:\(redis.port)/0 is available again"))
            #expect(await server.stop() == 0)
        }

        /// The readiness check is public: however often it is asked, each worker probes the
        /// stores at most once a second.
        @Test func theStorageHealthCheckProbesAtMostOnceASecond() async throws {
            let redis = try await RedisServerProcess()
            let redisGroup: [String: Any] = ["type": "Redis", "host": "127.0.0.1", "port": redis.port, "db": 0, "ttl": 60]
            let server = try await ServerProcess.start(workers: 2, overrides: ["storage": ["session": redisGroup]])
            defer { server.kill() }
            func pings() throws -> Int {
                let (_, output) = try Command.output("/usr/bin/redis-cli", ["-p", "\(redis.port)", "INFO", "commandstats"])
                return output.firstMatch(of: #/cmdstat_ping:calls=(\d+)/#).flatMap { Int($0.1) } ?? 0
            }
            let before = try pings()
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<200 { group.addTask { try await TestHTTP.get("\(server.baseURL)/healthcheck/storage").status } }
                for try await status in group { #expect(status == 200) }
            }
            let seconds = Int((ContinuousClock.now - started).components.seconds) + 1
            let probes = try pings() - before
            #expect(probes >= 1, "the stores were asked")
            #expect(probes <= server.workers.count * (seconds + 1), "\(probes) probes in \(seconds) s for 200 requests")

            // A store that goes away shows within about a second.
            await redis.stop()
            #expect(await eventually(timeout: .seconds(5)) {
                (try? await TestHTTP.get("\(server.baseURL)/healthcheck/storage"))?.status == 503
            })
            #expect(await server.stop() == 0)
        }

        @Test func postgresOutageAnswers503AndRecovers() async throws {
            let postgres = try PostgresServerProcess()
            let postgresGroup: [String: Any] = [
                "type": "Postgres",
                "options": ["user": "postgres", "password": "", "database": "oauth2", "host": "127.0.0.1", "port": "\(postgres.port)", "ssl": false],
            ]
            let server = try await ServerProcess.start(workers: 2, overrides: ["storage": ["users": postgresGroup, "audit": postgresGroup]])
            defer { server.kill() }
            let workers = server.workers
            #expect(server.log().contains("applied schema migration 1"), "the supervisor created the tables")
            #expect(try await TestHTTP.get("\(server.baseURL)/healthcheck/storage").status == 200)

            try postgres.stop()
            try await expectOutage(server: server, failingGroup: "audit")
            #expect(server.workers == workers, "no worker crashed")
            let outage = "storage Postgres postgres@127.0.0.1:\(postgres.port)/oauth2 is unavailable"
            #expect(await server.waitForLog(outage))
            #expect(server.logLines(containing: outage).count <= workers.count, "logged once per worker, not per request")

            try postgres.start()
            #expect(await eventually(timeout: .seconds(30)) {
                (try? await TestHTTP.get("\(server.baseURL)/healthcheck/storage"))?.status == 200
            })
            #expect(await server.stop() == 0)
        }
        @Test func aRetryAfterTheServersOwnFailureIsAnExchangeNotAReplay() async throws {
            // Codes in the SQLite default, grants and the audit trail in PostgreSQL: the code is
            // taken, then the exchange fails on the database that went away.
            let postgres = try PostgresServerProcess()
            let postgresGroup: [String: Any] = [
                "type": "Postgres",
                "options": ["user": "postgres", "password": "", "database": "oauth2", "host": "127.0.0.1", "port": "\(postgres.port)", "ssl": false],
            ]
            let server = try await ServerProcess.start(
                workers: 1, overrides: ["storage": ["users": postgresGroup, "audit": postgresGroup]], clients: FlowClients.file)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            try await driver.signIn(OAuthDriver.newUser())
            let code = try await driver.code()
            let exchange = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", FlowClients.redirect)]

            try postgres.stop()
            let failed = try await driver.post(exchange, basic: ("test", "hunter2"))
            #expect(failed.status == 503, "\(failed.body)")
            try postgres.start()
            #expect(await eventually(timeout: .seconds(30)) {
                (try? await TestHTTP.get("\(server.baseURL)/healthcheck/storage"))?.status == 200
            })

            let retried = try await driver.post(exchange, basic: ("test", "hunter2"))
            #expect(retried.status == 200, "the client's retry is served: \(retried.body)")
            let token = try #require(try OAuthDriver.json(retried)["access_token"] as? String)
            #expect(try await driver.api("profile", token: token).status == 200, "and its grant was not ended as a replay")
            // The code is spent now: a real replay still ends the grant.
            #expect(try await driver.post(exchange, basic: ("test", "hunter2")).status == 400)
            #expect(try await driver.api("profile", token: token).status == 401)
            #expect(await server.stop() == 0)
        }

        @Test func aRevocationThatFailsHalfWayLeavesNoTokenThatCannotBeRevoked() async throws {
            // Tokens in Redis, grants in the SQLite default: the review page's revocation meets
            // a dead tokens store after it has started.
            let redis = try await RedisServerProcess()
            let redisGroup: [String: Any] = ["type": "Redis", "host": "127.0.0.1", "port": redis.port, "db": 0]
            let server = try await ServerProcess.start(
                workers: 1, overrides: ["storage": ["tokens": redisGroup, "refresh_tokens": redisGroup]], clients: FlowClients.file)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            try await driver.signIn(OAuthDriver.newUser())
            let token = try #require(try await driver.exchange(try await driver.code())["access_token"] as? String)
            let reviewPath = "/review?client_id=test&redirect_uri=" + OAuthDriver.encode(FlowClients.redirect)
            let page = try await driver.browser.get(reviewPath)
            let transaction = try #require(OAuthDriver.hidden("transaction_id", in: page))

            // An outage that loses no data (the tokens are still there when Redis returns).
            try redis.persist()
            await redis.stop()
            let failed = try await driver.browser.post("/review", form: [("transaction_id", transaction)])
            #expect(failed.status == 503, "the revocation could not finish")
            try await redis.start()
            #expect(await eventually(timeout: .seconds(15)) {
                (try? await TestHTTP.get("\(server.baseURL)/healthcheck/storage"))?.status == 200
            })

            // Whatever survived can still be revoked: the token works only while its grant is listed.
            let again = try await driver.browser.get(reviewPath)
            let listed = again.body.contains(#"name="2" checked"#)
            let works = try await driver.api("profile", token: token).status == 200
            #expect(!works || listed, "a working token whose grant the review page no longer lists")
            if listed {
                let retry = try await driver.browser.post("/review", form: [("transaction_id", try #require(OAuthDriver.hidden("transaction_id", in: again)))])
                #expect(retry.status == 303)
            }
            #expect(try await driver.api("profile", token: token).status == 401, "revoked in the end")
            #expect(await server.stop() == 0)
        }

        @Test func theOAuthEndpointsAnswer503WhileTheirStorageIsDown() async throws {
            let redis = try await RedisServerProcess()
            let redisGroup: [String: Any] = ["type": "Redis", "host": "127.0.0.1", "port": redis.port, "db": 0]
            let server = try await ServerProcess.start(
                workers: 1, overrides: ["storage": ["session": redisGroup, "codes": redisGroup, "tokens": redisGroup, "refresh_tokens": redisGroup]],
                clients: FlowClients.file)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            #expect(try await driver.post([("grant_type", "client_credentials")], basic: ("service", "service-secret")).status == 200)
            try await driver.signIn(OAuthDriver.newUser())

            await redis.stop()
            let token = try await driver.post([("grant_type", "client_credentials")], basic: ("service", "service-secret"))
            #expect(token.status == 503)
            #expect(try OAuthDriver.json(token)["error"] as? String == "temporarily_unavailable")
            #expect(token.header("Retry-After") != nil)
            // The sign-in form needs no storage; signing in does.
            var visitor = Browser(server: server)
            let form = try await visitor.get("/login")
            #expect(form.status == 200)
            let csrf = try #require(Browser.csrf(in: form))
            let page = try await visitor.post("/login", form: [("username", "bob"), ("password", "password"), ("_csrf", csrf)])
            #expect(page.status == 503)
            #expect(page.header("Content-Type")?.hasPrefix("text/html") == true, "a page, not JSON, for a browser")
            let consent = try await driver.authorize(OAuthDriver.codeRequest())
            #expect(consent.status == 503, "the session cannot be read")
            #expect(consent.header("Location") == nil)

            try await redis.start()
            #expect(await eventually(timeout: .seconds(15)) {
                (try? await driver.post([("grant_type", "client_credentials")], basic: ("service", "service-secret")))?.status == 200
            })
            #expect(await server.stop() == 0)
        }
    }
}
