import Foundation
import TestSupport

/// A long-running program (Redis, a sentinel, HAProxy) in one host's network namespace, its
/// output in a log file, stopped by its pid. `ip netns exec` execs the program in its own place,
/// so the pid is the program's.
final class NamespacedProcess: @unchecked Sendable {
    let name: String
    let logPath: String
    private let process: Process

    init(_ name: String, in host: TestNetwork.Host, _ executable: String, _ arguments: [String], logPath: String) throws {
        self.name = name
        self.logPath = logPath
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else { throw ServerProcessFailure("cannot create \(logPath)") }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let launcher = TestNetwork.launcher(host)
        process = Process()
        process.executableURL = URL(fileURLWithPath: launcher[0])
        process.arguments = Array(launcher.dropFirst()) + [executable] + arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Ends it at once, as a crash or a pulled plug would.
    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { kill() }
}
