import Foundation

/// A running `example_site.py`: a small real website (Python's HTTP server) with a login that
/// sets a cookie or returns a JSON token, behind HTTP Basic auth, on a free loopback port.
package final class ExampleSiteProcess: @unchecked Sendable {
    package let port: Int
    private let process: Process

    /// Starts the site; its one user signs in with `password`.
    package init(password: String = "hunter2") async throws {
        port = FreePort.loopback()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("example_site.py")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, String(port), password]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let (process, port) = (process, port)
        guard await eventually({ FreePort.acceptsConnections(port) || !process.isRunning }), process.isRunning else {
            stop()
            throw ServerProcessFailure("example_site.py did not start on port \(port)")
        }
    }

    /// SIGKILL: the child inherits the test thread's blocked signals, so SIGTERM would not reach it.
    package func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}
