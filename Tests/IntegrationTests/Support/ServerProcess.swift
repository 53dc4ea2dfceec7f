import Foundation
import TestSupport
import Testing

/// A real `oauth2-server` (supervisor and workers) started from the release build with its
/// own configuration folder and log file, stopped (and checked for leftovers) by the test.
final class ServerProcess: @unchecked Sendable {
    let configDirectory: String
    let logFile: LogFile
    /// The address it listens on and tests reach it at (loopback unless it runs in a network namespace).
    let address: String
    let port: Int
    let scheme: String
    /// Where the configured resource server (the dummy site by default) listens.
    let sitePort: Int
    private let process: Process

    var pid: pid_t { process.processIdentifier }
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
        let (logFile, log) = LogFile.create(at: "\(directory)/server.log")
        self.logFile = logFile
        let process = Process()
        let server = TestEnvironment.executable("oauth2-server")
        if launcher.isEmpty {
            process.executableURL = URL(fileURLWithPath: server)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: launcher[0])
            process.arguments = Array(launcher.dropFirst()) + [server] + arguments
        }
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
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardError = log
        process.standardOutput = log
        try process.run()
        self.process = process
    }

    // MARK: - Observing

    func log() -> String { logFile.text }

    func logLines(containing text: String) -> [Substring] { logFile.lines(containing: text) }

    /// Waits until `workers` workers run and the port answers /healthcheck.
    func waitUntilServing(workers expected: Int, timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, process.isRunning {
            if workers.count == expected, (try? await TestHTTP.get("\(baseURL)/healthcheck"))?.status == 200 { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    func waitForLog(_ text: String, count: Int = 1, timeout: Duration = .seconds(10)) async -> Bool {
        await eventually(timeout: timeout) { logLines(containing: text).count >= count }
    }

    var workers: [pid_t] { ProcessTable.children(of: pid, named: "oauth2-worker") }

    var isRunning: Bool { process.isRunning }

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
        if process.isRunning { signal(SIGTERM) }
        if !(await eventually(timeout: timeout) { !process.isRunning }) {
            Issue.record("server did not stop within \(timeout)")
            kill()
        }
        for worker in workers where ProcessTable.isAlive(worker) {
            Issue.record("worker \(worker) outlived the supervisor")
            Glibc.kill(worker, SIGKILL)
        }
        return process.terminationStatus
    }

    /// Waits for the server to exit by itself; its exit status, or nil while it still runs after `timeout`.
    func waitForExit(timeout: Duration = .seconds(40)) async -> Int32? {
        guard await eventually(timeout: timeout, { !process.isRunning }) else { return nil }
        return process.terminationStatus
    }

    /// Last resort: SIGKILL the supervisor and every worker.
    func kill() {
        for worker in workers { Glibc.kill(worker, SIGKILL) }
        if process.isRunning { Glibc.kill(pid, SIGKILL) }
        process.waitUntilExit()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The configuration tests start from: loopback, a temp SQLite file, no real resource server.
enum TestConfig {
    static func defaults(port: Int, workers: Int, logLevel: String, directory: String) -> [String: Any] {
        [
            "auth_server": [
                "host": "127.0.0.1",
                "port": port,
                "num_workers": workers,
                "session_secret": "test secret",
                "worker_timeout": 10,
                "shutdown_timeout": 10,
                "views_dir": TestEnvironment.repository.appendingPathComponent("views").path,
            ],
            "storage": [
                "default": ["type": "Sqlite", "path": "\(directory)/oauth2.sqlite"],
            ],
            "logging": ["level": logLevel, "short_sid": true],
            "resource_server": ["type": "dummy", "host": "127.0.0.1", "port": TestEnvironment.freePort()],
            "client_credentials": ["file": "clients.json"],
        ]
    }

    /// The seed's test client (secret "hunter2") and a second one, as every test server registers them.
    static let clientsFile = """
        [{"id": "2", "name": "Automated tests", "client_id": "test",
          "client_secret": "2aa0c27d4a452d6bbb87e1b175f8e67ce75c000f", "client_salt": "$4$3SByu9lP$nEyg3Ezxj+5BDsi8uAdwtTeU4Is$",
          "allow_code_grant": true, "allow_implicit_grant": true, "valid_redirects": ["http://localhost:8080/"]}]
        """

    static func write(_ config: [String: Any], to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
    }
}

extension Dictionary where Key == String, Value == Any {
    /// Deep merge, objects key by key, as the server merges its config layers.
    func merging(_ other: [String: Any]) -> [String: Any] {
        var result = self
        for (key, value) in other {
            if let mine = result[key] as? [String: Any], let theirs = value as? [String: Any] {
                result[key] = mine.merging(theirs)
            } else {
                result[key] = value
            }
        }
        return result
    }
}
