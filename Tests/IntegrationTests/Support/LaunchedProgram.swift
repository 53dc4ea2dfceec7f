import Foundation
import TestSupport
import Testing

/// A program from the release build that a test starts, its stdout and stderr in a log file, and
/// stops: what `ServerProcess` and `DummySiteProcess` run their program with.
final class LaunchedProgram: @unchecked Sendable {
    private let logFile: LogFile
    private let process: Process

    var pid: pid_t { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    /// The exit status; read it only once the program has exited.
    var terminationStatus: Int32 { process.terminationStatus }

    /// Starts `executable` (a path; `launcher`, when given, runs it: its first element is the
    /// program, the rest its arguments before `executable`), logging to `logPath`.
    init(
        _ executable: String, arguments: [String], launcher: [String] = [], environment: [String: String]? = nil,
        directory: String? = nil, logPath: String
    ) throws {
        let (logFile, log) = LogFile.create(at: logPath)
        self.logFile = logFile
        let process = Process()
        if launcher.isEmpty {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: launcher[0])
            process.arguments = Array(launcher.dropFirst()) + [executable] + arguments
        }
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardError = log
        process.standardOutput = log
        try process.run()
        self.process = process
    }

    func log() -> String { logFile.text }

    func logLines(containing text: String) -> [Substring] { logFile.lines(containing: text) }

    /// Sends SIGTERM and waits up to `timeout` for the exit (past it, records an issue naming
    /// `name` and kills it); returns the exit status.
    func stop(_ name: String, timeout: Duration) async -> Int32 {
        if process.isRunning { Glibc.kill(pid, SIGTERM) }
        if !(await eventually(timeout: timeout) { !process.isRunning }) {
            Issue.record("\(name) did not stop within \(timeout)")
            kill()
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Waits for the program to exit by itself; its exit status, or nil while it still runs after `timeout`.
    func waitForExit(timeout: Duration) async -> Int32? {
        guard await eventually(timeout: timeout, { !process.isRunning }) else { return nil }
        return process.terminationStatus
    }

    /// Last resort: SIGKILL, and wait for it.
    func kill() {
        if process.isRunning { Glibc.kill(pid, SIGKILL) }
        process.waitUntilExit()
    }
}
