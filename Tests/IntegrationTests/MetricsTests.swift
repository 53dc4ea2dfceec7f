import Foundation
import NIOHTTP1
import TestSupport
import Testing

extension IntegrationTests {
    /// `GET /metrics` on the supervisor: every worker's numbers combined, exactly, through
    /// worker deaths, rolling reloads and scaling.
    @Suite(.serialized)
    struct MetricsTests {
        private static func start(workers: Int, overrides: [String: Any] = [:]) async throws -> (ServerProcess, metricsPort: Int) {
            let metricsPort = TestEnvironment.freePort()
            let server = try await ServerProcess.start(
                workers: workers, overrides: ["auth_server": ["metrics": ["port": metricsPort]]].merging(overrides),
                clients: FlowClients.file)
            return (server, metricsPort)
        }

        /// Client-credentials token requests, `count` of them, six at a time, each on a connection
        /// of its own (TestHTTP closes every one) so the workers share them.
        private static func issueTokens(_ server: ServerProcess, count: Int, secret: String = FlowClients.secrets["service"]!) async throws -> [Int] {
            let url = "\(server.baseURL)/token"
            let headers = [
                ("Authorization", "Basic " + Data("service:\(secret)".utf8).base64EncodedString()),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ]
            return try await withThrowingTaskGroup(of: Int.self) { group in
                var statuses: [Int] = []
                for index in 0..<count {
                    if index >= 6 { statuses.append(try await group.next()!) }
                    group.addTask {
                        try await TestHTTP.send(url, method: .POST, headers: headers, body: "grant_type=client_credentials").status
                    }
                }
                for try await status in group { statuses.append(status) }
                return statuses
            }
        }

        @Test func countsFromThreeWorkersAddUpToWhatWasDone() async throws {
            let (server, metricsPort) = try await Self.start(workers: 3)
            defer { server.kill() }
            let issued = 60
            let statuses = try await Self.issueTokens(server, count: issued)
            #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
            let refused = try await Self.issueTokens(server, count: 4, secret: "wrong")
            #expect(refused.allSatisfy { $0 == 401 }, "\(refused)")
            // The access log names the worker of each request: more than one served.
            let servedBy = Set(server.logLines(containing: "POST /token").compactMap { $0.firstMatch(of: #/worker\.(\d+)\[/#)?.1 })
            #expect(servedBy.count >= 2, "the token requests were shared by workers \(servedBy)")

            let scrape = try await MetricsScrape.of(port: metricsPort)
            #expect(scrape.value("oauth2_tokens_issued_total", [("grant_type", "client_credentials"), ("client_id", "service")]) == Double(issued))
            #expect(scrape.value("oauth2_http_requests_total", [("route", "/token"), ("method", "POST"), ("status", "200")]) == Double(issued))
            #expect(scrape.value("oauth2_http_requests_total", [("route", "/token"), ("method", "POST"), ("status", "401")]) == 4)
            #expect(scrape.value("oauth2_http_request_duration_seconds_count", [("route", "/token")]) == Double(issued + 4))
            #expect(scrape.value("oauth2_http_request_duration_seconds_bucket", [("route", "/token"), ("le", "+Inf")]) == Double(issued + 4))
            #expect(scrape.value("oauth2_client_auth_failures_total") == 4)
            #expect(scrape.value("oauth2_token_errors_total", [("error", "invalid_client")]) == 4)
            #expect(scrape.value("oauth2_workers") == 3)
            #expect(scrape.total("oauth2_build_info") == 1)
            // Raw paths never become labels: an unknown path is "unmatched".
            _ = try await TestHTTP.get("\(server.baseURL)/no/such/path/\(UUID().uuidString)")
            let after = try await MetricsScrape.of(port: metricsPort)
            #expect(after.value("oauth2_http_requests_total", [("route", "unmatched"), ("method", "GET"), ("status", "404")]) == 1)
            #expect(!after.text.contains("/no/such/path"))
            // SQLite under every group: its operations are timed.
            #expect(after.total("oauth2_storage_operation_duration_seconds_count") > 0)
            #expect(await server.stop() == 0)
        }

        @Test func countersNeverGoBackwardsOverKillAndRollingReload() async throws {
            let (server, metricsPort) = try await Self.start(workers: 3)
            defer { server.kill() }
            let tokens = ("oauth2_tokens_issued_total", [("grant_type", "client_credentials"), ("client_id", "service")])
            #expect(try await Self.issueTokens(server, count: 30).allSatisfy { $0 == 200 })
            let first = try await MetricsScrape.of(port: metricsPort)
            #expect(first.value(tokens.0, tokens.1) == 30)

            // kill -9 every worker, one after the other: what each counted stays, to the last token.
            for victim in server.workers {
                kill(victim, SIGKILL)
                #expect(await eventually(timeout: .seconds(10)) { !server.workers.contains(victim) && server.workers.count == 3 })
                let scrape = try await MetricsScrape.of(port: metricsPort)
                #expect(scrape.wentBackwards(since: first).isEmpty, "\(scrape.wentBackwards(since: first))")
                #expect(scrape.value(tokens.0, tokens.1) == 30)
            }
            #expect(await server.waitUntilServing(workers: 3))
            let killed = try await MetricsScrape.of(port: metricsPort)
            #expect(killed.value("oauth2_worker_restarts_total", [("reason", "signal")]) == 3)
            #expect(try await Self.issueTokens(server, count: 12).allSatisfy { $0 == 200 })

            // A rolling reload replaces every worker while requests keep coming.
            let beforeReload = try await MetricsScrape.of(port: metricsPort)
            #expect(beforeReload.value(tokens.0, tokens.1) == 42)
            let original = Set(server.workers)
            // A key only new workers apply, so the reload rolls them.
            try server.writeConfig("runtime.json", ["auth_server": ["idle_timeout": 20]])
            server.signal(SIGHUP)
            let during = Task { try await Self.issueTokens(server, count: 20) }
            #expect(await server.waitForLog("reload complete", timeout: .seconds(30)))
            #expect(try await during.value.allSatisfy { $0 == 200 })
            #expect(await eventually(timeout: .seconds(15)) { Set(server.workers).isDisjoint(with: original) && server.workers.count == 3 })
            let afterReload = try await MetricsScrape.of(port: metricsPort)
            #expect(afterReload.wentBackwards(since: beforeReload).isEmpty, "\(afterReload.wentBackwards(since: beforeReload))")
            #expect(afterReload.value(tokens.0, tokens.1) == 62)
            #expect(afterReload.value("oauth2_reloads_total", [("result", "success")]) == 1)
            #expect(afterReload.value("oauth2_worker_restarts_total", [("reason", "signal")]) == 3, "retired workers are not restarts")
            #expect(await server.stop() == 0)
        }

        @Test func theWorkerGaugeFollowsTtinAndTtou() async throws {
            let (server, metricsPort) = try await Self.start(workers: 2)
            defer { server.kill() }
            func workers() async -> Double { (try? await MetricsScrape.of(port: metricsPort))?.value("oauth2_workers") ?? -1 }
            #expect(await workers() == 2)
            server.signal(SIGTTIN)
            #expect(await eventually { await workers() == 3 })
            server.signal(SIGTTOU)
            #expect(await eventually { await workers() == 2 })
            server.signal(SIGTTOU)
            #expect(await eventually { await workers() == 1 })
            #expect(await server.stop() == 0)
        }

        @Test func aStorageOutageIsCountedOncePerGroup() async throws {
            let redis = try await RedisServerProcess()
            let redisGroup: [String: Any] = ["type": "Redis", "host": "127.0.0.1", "port": redis.port, "db": 0, "ttl": 60]
            let (server, metricsPort) = try await Self.start(workers: 2, overrides: ["storage": ["session": redisGroup]])
            defer { server.kill() }
            #expect(try await TestHTTP.get("\(server.baseURL)/healthcheck/storage").status == 200)
            let outage = ("oauth2_storage_outages_total", [("group", "session")])
            #expect(try await MetricsScrape.of(port: metricsPort).value(outage.0, outage.1) == 0)

            await redis.stop()
            #expect(await eventually(timeout: .seconds(5)) {
                (try? await TestHTTP.get("\(server.baseURL)/healthcheck/storage"))?.status == 503
            })
            // Many failing requests, one outage per worker that noticed it.
            for _ in 0..<10 { _ = try? await TestHTTP.get("\(server.baseURL)/healthcheck/storage") }
            let down = try await MetricsScrape.of(port: metricsPort)
            #expect((1...2).contains(down.value(outage.0, outage.1)), "\(down.value(outage.0, outage.1))")
            #expect(down.value(outage.0, [("group", "default")]) == 0, "SQLite groups stayed up")
            #expect(down.total("oauth2_storage_operation_duration_seconds_count") > 0)
            #expect(down.text.contains("backend=\"redis\",group=\"session\",operation=\"ping\""))
            try await redis.start()
            #expect(await server.stop() == 0)
        }

        @Test func checkConfigNamesFileAndKeyOfABadMetricsSetting() throws {
            let directory = TestEnvironment.temporaryDirectory("oauth2-check-metrics")
            try TestConfig.clientsFile.write(toFile: "\(directory)/clients.json", atomically: true, encoding: .utf8)
            try #"{"auth_server": {"session_secret": "a session secret of more than thirty-two characters", "metrics": {"port": "nine"}}}"#
                .write(toFile: "\(directory)/default.json", atomically: true, encoding: .utf8)
            let result = try Command.output(TestEnvironment.executable("oauth2-server"), ["check-config"], environment: ["OAUTH2_CONFIG_DIR": directory])
            #expect(result.status == 1)
            #expect(result.output.contains(#"\#(directory)/default.json: auth_server.metrics.port: must be a number, not "nine""#), "\(result.output)")
        }

        /// deploy/'s dashboard and alerting rules parse, and name only metrics a live server exports.
        @Test func theDashboardAndAlertsUseOnlyExportedMetrics() async throws {
            let python = try #require(
                ProcessInfo.processInfo.environment["OAUTH2_TEST_PYTHON"],
                "OAUTH2_TEST_PYTHON is not set: run the tests with scripts/test, which installs PyYAML")
            let script = TestEnvironment.repository.appendingPathComponent("Tests/Deploy/metric_names.py").path
            let deploy = TestEnvironment.repository.appendingPathComponent("deploy").path
            let (status, output) = try Command.output(python, [script, "\(deploy)/grafana-dashboard.json", "\(deploy)/prometheus-alerts.yml"])
            #expect(status == 0, "\(output)")
            let used = Set(output.split(separator: "\n").map(String.init))
            #expect(used.count >= 8, "\(used)")

            let (server, metricsPort) = try await Self.start(workers: 2)
            defer { server.kill() }
            #expect(try await Self.issueTokens(server, count: 1) == [200])
            let scrape = try await MetricsScrape.of(port: metricsPort)
            let exported = scrape.families.union(scrape.families.flatMap { family in ["_bucket", "_sum", "_count"].map { family + $0 } })
            #expect(used.subtracting(exported).isEmpty, "not exported: \(used.subtracting(exported).sorted())")
            #expect(await server.stop() == 0)
        }
    }
}
