import Foundation
import TestSupport
import Testing

/// What systemd sees of the server: readiness notifications, socket activation, the unit files.
extension IntegrationTests {
    @Suite(.serialized)
    struct SystemdTests {
        @Test func notifiesReadyReloadingAndStopping() async throws {
            let notify = try NotifySocket()
            let server = try await ServerProcess.start(workers: 2, environment: ["NOTIFY_SOCKET": notify.path])
            defer { server.kill() }

            #expect(await eventually { notify.messages().contains { $0.contains("READY=1") } })
            #expect(notify.messages().first { $0.contains("READY=1") }?.contains("STATUS=2 workers serving") == true)

            server.signal(SIGHUP)
            #expect(await eventually { notify.messages().contains { $0.contains("RELOADING=1") } })
            let reloading = try #require(notify.messages().first { $0.contains("RELOADING=1") })
            #expect(reloading.contains("MONOTONIC_USEC="))
            #expect(await eventually { notify.messages().filter { $0.contains("READY=1") }.count == 2 })

            #expect(await server.stop() == 0)
            #expect(notify.messages().contains { $0.contains("STOPPING=1") })
            // Only the supervisor talks to systemd: the workers never saw NOTIFY_SOCKET.
            #expect(notify.messages().filter { $0.contains("READY=1") }.count == 2)
        }

        @Test func pingsTheWatchdogWhenSystemdAsksForIt() async throws {
            let notify = try NotifySocket()
            let server = try await ServerProcess.start(
                workers: 1, environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"])
            defer { server.kill() }
            // At least every half interval (200 ms): several within two seconds.
            #expect(await eventually(timeout: .seconds(2)) { notify.messages().filter { $0 == "WATCHDOG=1" }.count >= 4 })
            #expect(await server.stop() == 0)
        }

        @Test func servesASocketPassedBySystemdSocketActivation() async throws {
            let activate = "/usr/bin/systemd-socket-activate"
            try #require(FileManager.default.isExecutableFile(atPath: activate), "install systemd (scripts/install-deps --test)")
            let port = TestEnvironment.freePort()
            // The config names another port: with socket activation the passed socket wins.
            // systemd-socket-activate starts the server on the first connection, as systemd does.
            let server = try await ServerProcess.start(
                workers: 2, waitUntilReady: false, launcher: [activate, "-l", "127.0.0.1:\(port)", "-E", "OAUTH2_CONFIG_DIR", "-E", "OAUTH2_ENV"])
            defer { server.kill() }

            let response = try await TestHTTP.get("http://127.0.0.1:\(port)/healthcheck")
            #expect(response.status == 200)
            #expect(await server.waitForLog("a socket from systemd"))
            #expect(server.workers.count == 2)
            #expect(await server.stop() == 0)
        }

        @Test func unitFilesPassSystemdAnalyzeVerify() throws {
            let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let deploy = repository.appendingPathComponent("deploy").path
            let scratch = TestEnvironment.temporaryDirectory("oauth2-units")
            // The units name the installed paths; point them at this build for verification.
            for unit in ["oauth2-server.service", "oauth2-server.socket"] {
                let text = try String(contentsOfFile: "\(deploy)/\(unit)", encoding: .utf8)
                    .replacingOccurrences(of: "/usr/local/bin/oauth2-server", with: TestEnvironment.executable("oauth2-server"))
                try text.write(toFile: "\(scratch)/\(unit)", atomically: true, encoding: .utf8)
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
            process.arguments = ["verify", "\(scratch)/oauth2-server.service", "\(scratch)/oauth2-server.socket"]
            process.environment = ["SYSTEMD_LOG_LEVEL": "warning", "PATH": "/usr/bin:/bin"]
            let output = Pipe()
            process.standardError = output
            process.standardOutput = output
            try process.run()
            process.waitUntilExit()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            // Lines about this machine rather than the units (no systemd running here) are not findings.
            let findings = text.split(separator: "\n").filter { $0.contains("oauth2-server") }
            #expect(process.terminationStatus == 0, "\(text)")
            #expect(findings.isEmpty, "\(findings.joined(separator: "\n"))")
        }
    }
}
