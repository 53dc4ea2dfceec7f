import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// A real `dummy-resource-server` from the release build on a loopback port, its output in a
/// log file, stopped by the test.
final class DummySiteProcess: @unchecked Sendable {
    let port: Int
    private let program: LaunchedProgram

    var pid: pid_t { program.pid }
    var baseURL: String { "http://127.0.0.1:\(port)" }
    var isRunning: Bool { program.isRunning }

    /// Starts the server with `arguments` after `--host` and `--port`, and waits until it answers
    /// /healthcheck.
    static func start(port: Int = TestEnvironment.freePort(), arguments: [String] = []) async throws -> DummySiteProcess {
        let site = try DummySiteProcess(port: port, arguments: arguments)
        let ready = await eventually(timeout: .seconds(20)) {
            guard site.isRunning else { return false }
            return (try? await TestHTTP.get("\(site.baseURL)/healthcheck"))?.status == 200
        }
        if !ready {
            let log = site.log()
            site.kill()
            Issue.record("dummy-resource-server did not answer /healthcheck; log:\n\(log)")
            throw TestFailure("dummy-resource-server did not start")
        }
        return site
    }

    private init(port: Int, arguments: [String]) throws {
        self.port = port
        program = try LaunchedProgram(
            TestEnvironment.executable("dummy-resource-server"), arguments: ["--host", "127.0.0.1", "--port", String(port)] + arguments,
            logPath: TestEnvironment.temporaryDirectory("dummy-site") + "/site.log")
    }

    // MARK: - Observing

    func log() -> String { program.log() }

    func logLines(containing text: String) -> [Substring] { program.logLines(containing: text) }

    // MARK: - Requests

    /// `POST /login` with `body` sent as `contentType` (none when nil).
    func login(_ body: String, contentType: String? = "application/x-www-form-urlencoded") async throws -> TestResponse {
        try await TestHTTP.send(
            "\(baseURL)/login", method: .POST, headers: contentType.map { [("Content-Type", $0)] } ?? [], body: body)
    }

    /// `POST /login` as a browser's form would send it.
    func login(username: String, password: String) async throws -> TestResponse {
        try await login("username=\(Self.formEncoded(username))&password=\(Self.formEncoded(password))")
    }

    static func formEncoded(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
    }

    // MARK: - Stopping

    /// Sends SIGTERM and waits for the exit; returns the exit status.
    @discardableResult
    func stop(timeout: Duration = .seconds(10)) async -> Int32 {
        await program.stop("dummy-resource-server", timeout: timeout)
    }

    /// Last resort: SIGKILL.
    func kill() { program.kill() }
}
