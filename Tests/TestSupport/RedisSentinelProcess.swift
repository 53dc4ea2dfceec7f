import Foundation
import Glibc

/// A Redis Sentinel (`redis-server --sentinel`) on a free loopback port, monitoring one primary
/// under `masterName` with short timings, so a failover takes seconds in a test. Stopped by pid.
package final class RedisSentinelProcess {
    package let port: Int
    private let directory: String
    private let process: Process

    package init(monitoring primaryPort: Int, masterName: String = "mymaster", quorum: Int = 2) async throws {
        port = FreePort.loopback()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sentinel-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Sentinel rewrites its file as it learns the topology, so it is a file of its own.
        try """
            port \(port)
            bind 127.0.0.1
            dir \(directory)
            logfile \(directory)/sentinel.log
            sentinel monitor \(masterName) 127.0.0.1 \(primaryPort) \(quorum)
            sentinel down-after-milliseconds \(masterName) 1000
            sentinel failover-timeout \(masterName) 5000
            sentinel parallel-syncs \(masterName) 1
            """.write(toFile: "\(directory)/sentinel.conf", atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = ["\(directory)/sentinel.conf", "--sentinel"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let (process, port) = (process, port)
        guard await eventually(interval: .milliseconds(20), { FreePort.acceptsConnections(port) || !process.isRunning }), process.isRunning else {
            let log = (try? String(contentsOfFile: "\(directory)/sentinel.log", encoding: .utf8)) ?? ""
            stop()
            throw ServerProcessFailure("redis sentinel on port \(port) did not start:\n\(log)")
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    package func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
