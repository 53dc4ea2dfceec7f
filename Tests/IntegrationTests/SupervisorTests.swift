import Foundation
import WorkerApp
import TestSupport
import Testing

/// The prefork supervisor as an operator drives it: real binaries, real signals, real sockets.
extension IntegrationTests {
    @Suite(.serialized)
    struct SupervisorTests {
        @Test func workersShareOneListeningSocketAndServe() async throws {
            let server = try await ServerProcess.start(workers: 3)
            defer { server.kill() }

            let workers = server.workers
            #expect(workers.count == 3)
            for worker in workers {
                #expect(ProcessTable.commandLine(of: worker).contains("oauth2-worker"))
            }
            // Every worker holds the same socket at descriptor 3, and none binds its own.
            let sockets = Set(workers.compactMap { ProcessTable.descriptor(3, of: $0) })
            #expect(sockets.count == 1)
            #expect(sockets.first?.hasPrefix("socket:") == true)

            for _ in 0..<20 {
                let response = try await TestHTTP.get("\(server.baseURL)/healthcheck")
                #expect(response.status == 200)
                #expect(Int64(response.body.trimmingCharacters(in: .whitespacesAndNewlines)) != nil)
                #expect(response.header("Date") != nil)
            }
            #expect(await server.stop() == 0)
        }

        @Test func killedWorkerIsReplacedWhileOthersKeepServing() async throws {
            let server = try await ServerProcess.start(workers: 3)
            defer { server.kill() }
            let before = server.workers
            let victim = try #require(before.first)

            kill(victim, SIGKILL)
            for _ in 0..<20 {
                #expect(try await TestHTTP.get("\(server.baseURL)/healthcheck").status == 200)
            }
            let replaced = await eventually(timeout: .seconds(5)) {
                let now = server.workers
                return now.count == 3 && !now.contains(victim)
            }
            #expect(replaced)
            #expect(server.logLines(containing: "(pid \(victim)) died (signal 9").count == 1)

            // A second death right after the first waits, as the Node original's backoff does.
            let second = try #require(server.workers.first { !before.contains($0) })
            kill(second, SIGKILL)
            #expect(await server.waitForLog("(pid \(second)) died"))
            #expect(server.logLines(containing: "(pid \(second)) died").first?.contains("replacing it in 2000 ms") == true)
            #expect(await eventually(timeout: .seconds(5)) { server.workers.count == 3 })
            #expect(await server.stop() == 0)
        }

        @Test func hungWorkerIsReplaced() async throws {
            let server = try await ServerProcess.start(workers: 2, overrides: ["auth_server": ["worker_timeout": 2]])
            defer { server.kill() }
            let victim = try #require(server.workers.first)

            kill(victim, SIGSTOP)
            #expect(await server.waitForLog("(pid \(victim)) sent no heartbeat", timeout: .seconds(8)))
            #expect(await eventually(timeout: .seconds(5)) { !server.workers.contains(victim) && server.workers.count == 2 })
            #expect(try await TestHTTP.get("\(server.baseURL)/healthcheck").status == 200)
            #expect(await server.stop() == 0)
        }

        @Test func sighupChangesTheLogLevelWithoutARestart() async throws {
            let server = try await ServerProcess.start(workers: 2, logLevel: "warn")
            defer { server.kill() }
            let workers = server.workers

            #expect(try await TestHTTP.get("\(server.baseURL)/healthcheck?at=warn").status == 200)

            try server.writeConfig("runtime.json", ["logging": ["level": "notice"]])
            server.signal(SIGHUP)
            #expect(await server.waitForLog("configuration reloaded in place; log level notice"))
            // The workers apply it from their control socket: ask until a request is logged.
            #expect(await eventually {
                _ = try? await TestHTTP.get("\(server.baseURL)/healthcheck?at=notice")
                return !server.logLines(containing: "GET /healthcheck?at=notice - 200").isEmpty
            })
            // Logged now, and not the request answered at warn long before.
            #expect(server.logLines(containing: "GET /healthcheck?at=warn").isEmpty)
            let line = try #require(server.logLines(containing: "GET /healthcheck?at=notice").first)
            #expect(line.contains(" notice: 127.0.0.1 GET /healthcheck?at=notice - 200 "))
            #expect(line.contains("(no session)"))
            #expect(line.firstMatch(of: #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z worker\.\d+\[\d+\] notice: /#) != nil)
            #expect(server.workers == workers, "the log level changes in place, without new workers")
            #expect(await server.stop() == 0)
        }

        @Test func brokenRuntimeJsonOnReloadKeepsTheOldConfigServing() async throws {
            let server = try await ServerProcess.start(workers: 2)
            defer { server.kill() }
            let workers = server.workers

            try server.writeConfig("runtime.json", "{ \"logging\": { \"level\": ")
            server.signal(SIGHUP)
            #expect(await server.waitForLog("still running the previous configuration"))
            let failure = try #require(server.logLines(containing: "reload failed").first)
            #expect(failure.contains("\(server.configDirectory)/runtime.json"))
            #expect(failure.contains(" error: "))

            try server.writeConfig("runtime.json", ["auth_server": ["port": "eighty"]])
            server.signal(SIGHUP)
            #expect(await server.waitForLog("runtime.json: auth_server.port: must be a number"))

            #expect(try await TestHTTP.get("\(server.baseURL)/healthcheck").status == 200)
            #expect(server.workers == workers)
            #expect(await server.stop() == 0)
        }

        @Test func continuousRequestsSeeNoFailureAcrossThreeReloads() async throws {
            let server = try await ServerProcess.start(workers: 2)
            defer { server.kill() }
            let original = Set(server.workers)

            let stop = StopFlag()
            let served = Counter()
            let load = Task {
                var failures: [String] = []
                while !stop.isSet {
                    do {
                        let response = try await TestHTTP.get("\(server.baseURL)/healthcheck")
                        if response.status == 200 { served.increment() } else { failures.append("status \(response.status)") }
                    } catch {
                        failures.append("\(Date().timeIntervalSince1970) \(error)")
                    }
                }
                return failures
            }
            for round in 1...3 {
                // A change only new workers can apply (not a hot key), so each reload rolls them.
                try server.writeConfig("runtime.json", ["auth_server": ["idle_timeout": 20 + round]])
                server.signal(SIGHUP)
                #expect(await server.waitForLog("reload complete", count: round, timeout: .seconds(20)))
                // The new generation serves the load before the next reload retires it.
                let before = served.value
                #expect(await eventually { served.value >= before + 10 })
            }
            stop.set()
            let failures = await load.value
            let ok = served.value
            #expect(failures.isEmpty, "failed requests: \(failures.prefix(5))")
            #expect(ok > 50)
            #expect(await eventually { server.workers.count == 2 })
            #expect(Set(server.workers).isDisjoint(with: original), "every reload started new workers")
            #expect(await server.stop() == 0)
        }

        @Test func ttinAndTtouChangeTheWorkerCount() async throws {
            let server = try await ServerProcess.start(workers: 2)
            defer { server.kill() }

            server.signal(SIGTTIN)
            #expect(await eventually { server.workers.count == 3 })
            server.signal(SIGTTOU)
            #expect(await eventually { server.workers.count == 2 })
            server.signal(SIGTTOU)
            #expect(await eventually { server.workers.count == 1 })
            server.signal(SIGTTOU)  // never below one
            #expect(await server.waitForLog("SIGTTOU: running 1 workers", count: 2), "the supervisor took the signal and still wants one")
            #expect(server.workers.count == 1)
            #expect(try await TestHTTP.get("\(server.baseURL)/healthcheck").status == 200)
            #expect(await server.stop() == 0)
        }

        @Test func sigtermFinishesInFlightRequestsAndLeavesNoProcess() async throws {
            // A slow site: it answers /api/profile?hold=PATH only once the test creates PATH.release.
            let site = try await ExampleSiteProcess()
            defer { site.stop() }
            let server = try await ServerProcess.start(workers: 2, logLevel: "info", overrides: ["resource_server": site.resourceServer()])
            defer { server.kill() }
            let workers = server.workers
            let tokens = try await StoredTokens.open(for: server)
            try await tokens.save(SiteUser(id: "42", siteToken: "tok-42"))
            let token = try await tokens.issue(scope: ["read-only"], userID: "42")
            await tokens.close()

            let hold = TestEnvironment.temporaryDirectory("slow-site") + "/profile"
            let inFlight = Task {
                try await TestHTTP.get("\(server.baseURL)/api/profile?hold=\(hold)", headers: [("Authorization", "Bearer \(token)")])
            }
            #expect(await eventually { FileManager.default.fileExists(atPath: hold + ".received") }, "the request reached the site")

            server.signal(SIGTERM)
            #expect(await server.waitForLog("asked to stop; finishing in-flight requests", count: workers.count))
            #expect(server.isRunning, "still draining the request")
            try "".write(toFile: hold + ".release", atomically: true, encoding: .utf8)

            let answer = try await inFlight.value
            #expect(answer.status == 200)
            #expect(answer.body.contains("\"email\": \"bob@example.com\""), "the whole answer: \(answer.body)")
            #expect(answer.body.contains("\"hold\": [\"\(hold)\"]"), "the site's answer to this request: \(answer.body)")
            #expect(await server.waitForExit() == 0, "stopped by the one SIGTERM")
            for worker in workers { #expect(!ProcessTable.isAlive(worker)) }
            #expect(server.logLines(containing: "supervisor[").last?.contains("stopped") == true)
        }

        /// A stop closes idle connections at once, but not those accepted an instant before it
        /// whose request is still on the way: one that has sent nothing yet, and one that has
        /// sent half of its request's head. Both requests, finished after SIGTERM, are answered.
        @Test func connectionsOpenedJustBeforeSIGTERMHaveTheirRequestsAnswered() async throws {
            let server = try await ServerProcess.start(workers: 1, logLevel: "info")
            defer { server.kill() }
            let silent = try RawConnection(port: server.port)
            let halfway = try RawConnection(port: server.port)
            halfway.send("GET /healthcheck HTTP/1.1\r\n")
            try #require(await eventually {
                [silent, halfway].allSatisfy { ProcessTable.hasAccepted(port: server.port, peerPort: $0.localPort) }
            }, "the worker accepted both connections")

            server.signal(SIGTERM)
            #expect(await server.waitForLog("asked to stop; finishing in-flight requests"))
            // The silent one's request first, answered before the other's head is complete.
            silent.send("GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n")
            // Read as it arrives, not until the close, which waits for the other one.
            #expect(silent.readable(within: .seconds(5)))
            let first = silent.readAvailable()
            #expect(first.hasPrefix("HTTP/1.1 200"), "the silent connection: answered, not reset: \(first)")
            halfway.send("Host: x\r\n\r\n")
            let second = halfway.readUntilClosed(within: .seconds(5))
            #expect(second.hasPrefix("HTTP/1.1 200"), "the half-sent head: answered, not reset: \(second)")
            #expect(await server.waitForExit() == 0)
        }

        @Test func workersDoNotOutliveAKilledSupervisor() async throws {
            let server = try await ServerProcess.start(workers: 2)
            defer { server.kill() }
            let workers = server.workers
            #expect(workers.count == 2)

            server.signal(SIGKILL)
            #expect(await eventually(timeout: .seconds(10)) { workers.allSatisfy { !ProcessTable.isAlive($0) } })
        }

        @Test func workerThatCannotBootStopsTheServerWithoutARespawnStorm() async throws {
            let directory = TestEnvironment.temporaryDirectory("oauth2-badcert")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try "not a certificate".write(toFile: "\(directory)/cert.pem", atomically: true, encoding: .utf8)
            try "not a key".write(toFile: "\(directory)/key.pem", atomically: true, encoding: .utf8)
            let server = try await ServerProcess.start(
                workers: 2,
                overrides: ["auth_server": ["ssl": true, "ssl_cert": "\(directory)/cert.pem", "ssl_key": "\(directory)/key.pem"]],
                waitUntilReady: false
            )
            defer { server.kill() }

            #expect(await eventually(timeout: .seconds(20)) { !server.isRunning })
            #expect(await server.stop() == 1)
            #expect(server.logLines(containing: "cannot boot").count >= 2)
            #expect(server.logLines(containing: "spawned worker").count <= 2)
            #expect(server.log().contains("\(directory)/cert.pem"))
        }
    }
}
