import Foundation
import Glibc

/// A private `redis-server` on a free loopback port, without persistence, started for one test
/// and stopped by its pid. `stop()` and `start()` again keep the port, to simulate an outage.
package final class RedisServerProcess {
    package let port: Int
    private let arguments: [String]
    private let directory: String
    private var process: Process?

    /// Starts the server with `arguments` added to its command line (e.g. `--requirepass`).
    package init(arguments: [String] = []) async throws {
        self.port = FreePort.loopback()
        self.arguments = arguments
        self.directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("redis-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try await start()
    }

    deinit {
        // A test that threw before `stop()` must not leave a server behind.
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Starts redis-server and waits until it accepts connections.
    package func start() async throws {
        precondition(process == nil, "redis-server is already running")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = [
            "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", directory, "--logfile", "\(directory)/redis.log",
        ] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let port = port
        guard await eventually(interval: .milliseconds(20), { FreePort.acceptsConnections(port) || !process.isRunning }), process.isRunning else {
            let log = (try? String(contentsOfFile: "\(directory)/redis.log", encoding: .utf8)) ?? ""
            await stop()
            throw ServerProcessFailure("redis-server on port \(port) did not start:\n\(log)")
        }
    }

    /// Writes the data to disk (SAVE), so the next `start()` loads it: the outage that follows
    /// loses nothing, as with a server that persists.
    package func persist() throws {
        let (_, answer) = try Command.output("/usr/bin/redis-cli", ["-p", "\(port)", "SAVE"])
        guard answer.hasPrefix("OK") else { throw ServerProcessFailure("redis-cli SAVE answered \(answer)") }
    }

    /// Kills the server by pid and waits until it is gone. SIGKILL, not SIGTERM: Foundation's
    /// Process hands the child the signal mask of the spawning thread, and Swift concurrency's
    /// threads block SIGTERM, so redis-server would never see it. The server keeps no data, and
    /// to a client a killed server looks like any other outage.
    package func stop() async {
        guard let process else { return }
        self.process = nil
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        _ = await eventually(interval: .milliseconds(10)) { !process.isRunning }
    }

    /// Sends a signal to the server (SIGSTOP freezes it, SIGCONT wakes it).
    package func signal(_ signal: Int32) {
        if let process, process.isRunning { kill(process.processIdentifier, signal) }
    }
}
