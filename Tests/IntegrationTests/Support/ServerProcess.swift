import Foundation
import TestSupport
import Testing

/// A real `oauth2-server` (supervisor and workers) started from the release build with its
/// own configuration folder and log file, stopped (and checked for leftovers) by the test.
final class ServerProcess: @unchecked Sendable {
    let configDirectory: String
    /// The address it listens on and tests reach it at (loopback unless it runs in a network namespace).
    let address: String
    let port: Int
    let scheme: String
    /// Where the configured resource server (the dummy site by default) listens.
    let sitePort: Int
    private let program: LaunchedProgram

    var pid: pid_t { program.pid }
    var baseURL: String { "\(scheme)://\(address):\(port)" }

    /// Writes `default.json` (the test defaults merged with `overrides`) into a fresh folder and
    /// starts the supervisor there. Waits until it reports ready unless `waitUntilReady` is false.
    static func start(
        workers: Int = 2,
        logLevel: String = "notice",
        overrides: [String: Any] = [:],
        clients: String = TestConfig.clientsFile,
        environment: [String: String] = [:],
        arguments: [String] = [],
        useNodeVariables: Bool = false,
        waitUntilReady: Bool = true,
        launcher: [String] = [],
        address: String = "127.0.0.1"
    ) async throws -> ServerProcess {
        let directory = TestEnvironment.temporaryDirectory("oauth2-test")
        let port = TestEnvironment.freePort()
        let config = TestConfig.defaults(port: port, workers: workers, logLevel: logLevel, directory: directory)
            .merging(["auth_server": ["host": address]])
            .merging(overrides)
        try TestConfig.write(config, to: "\(directory)/default.json")
        // The environment the server is started in (OAUTH2_ENV / NODE_ENV "test") must have its file.
        try "{}".write(toFile: "\(directory)/test.json", atomically: true, encoding: .utf8)
        try clients.write(toFile: "\(directory)/clients.json", atomically: true, encoding: .utf8)
        let ssl = ((config["auth_server"] as? [String: Any])?["ssl"] as? Bool) ?? false
        let sitePort = ((config["resource_server"] as? [String: Any])?["port"] as? Int) ?? 0
        let server = try ServerProcess(
            directory: directory, address: address, port: port, sitePort: sitePort, scheme: ssl ? "https" : "http", environment: environment,
            arguments: arguments, useNodeVariables: useNodeVariables, launcher: launcher)
        if waitUntilReady {
            // Readiness as a client sees it (the "ready:" line is notice level, which a test may hide).
            let ready = await server.waitUntilServing(workers: workers)
            if !ready {
                let log = server.log()
                server.kill()
                Issue.record("server did not become ready; log:\n\(log)")
                throw TestFailure("server did not become ready")
            }
        }
        return server
    }

    private init(
        directory: String, address: String, port: Int, sitePort: Int, scheme: String, environment: [String: String], arguments: [String],
        useNodeVariables: Bool, launcher: [String]
    ) throws {
        self.configDirectory = directory
        self.address = address
        self.port = port
        self.sitePort = sitePort
        self.scheme = scheme
        var env = ProcessInfo.processInfo.environment
        for name in ["OAUTH2_CONFIG_DIR", "OAUTH2_ENV", "NODE_CONFIG_DIR", "NODE_ENV", "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID"] {
            env[name] = nil
        }
        if useNodeVariables {
            env["NODE_CONFIG_DIR"] = directory
            env["NODE_ENV"] = "test"
        } else {
            env["OAUTH2_CONFIG_DIR"] = directory
            env["OAUTH2_ENV"] = "test"
        }
        env.merge(environment) { $1 }
        program = try LaunchedProgram(
            TestEnvironment.executable("oauth2-server"), arguments: arguments, launcher: launcher, environment: env, directory: directory,
            logPath: "\(directory)/server.log")
    }

    // MARK: - Observing

    func log() -> String { program.log() }

    func logLines(containing text: String) -> [Substring] { program.logLines(containing: text) }

    /// Waits until `workers` workers run and the port answers /healthcheck.
    func waitUntilServing(workers expected: Int, timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, program.isRunning {
            if workers.count == expected, (try? await TestHTTP.get("\(baseURL)/healthcheck"))?.status == 200 { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    func waitForLog(_ text: String, count: Int = 1, timeout: Duration = .seconds(10)) async -> Bool {
        await eventually(timeout: timeout) { logLines(containing: text).count >= count }
    }

    var workers: [pid_t] { ProcessTable.children(of: pid, named: "oauth2-worker") }

    var isRunning: Bool { program.isRunning }

    // MARK: - Acting

    func signal(_ signal: Int32) {
        Glibc.kill(pid, signal)
    }

    func writeConfig(_ name: String, _ text: String) throws {
        try text.write(toFile: "\(configDirectory)/\(name)", atomically: true, encoding: .utf8)
    }

    func writeConfig(_ name: String, _ config: [String: Any]) throws {
        try TestConfig.write(config, to: "\(configDirectory)/\(name)")
    }

    /// Sends SIGTERM and waits for the exit; returns the exit status.
    @discardableResult
    func stop(timeout: Duration = .seconds(40)) async -> Int32 {
        let workers = self.workers
        let status = await program.stop("server", timeout: timeout)
        for worker in workers where ProcessTable.isAlive(worker) {
            Issue.record("worker \(worker) outlived the supervisor")
            Glibc.kill(worker, SIGKILL)
        }
        return status
    }

    /// Waits for the server to exit by itself; its exit status, or nil while it still runs after `timeout`.
    func waitForExit(timeout: Duration = .seconds(40)) async -> Int32? {
        await program.waitForExit(timeout: timeout)
    }

    /// Last resort: SIGKILL the supervisor and every worker.
    func kill() {
        for worker in workers { Glibc.kill(worker, SIGKILL) }
        program.kill()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
