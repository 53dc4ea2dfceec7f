import Foundation

/// A running `example_site.py`: a small real website (Python's HTTP server) with a login that
/// sets a cookie or returns a JSON token, behind HTTP Basic auth, on a free loopback port.
public final class ExampleSiteProcess: @unchecked Sendable {
    public let port: Int
    private let process: Process

    public init() async throws {
        port = FreePort.loopback()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("example_site.py")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, String(port)]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(10)
        while !Self.answers(port: port) {
            guard process.isRunning, ContinuousClock.now < deadline else {
                stop()
                throw ServerProcessFailure("example_site.py did not start on port \(port)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// SIGKILL: the child inherits the test thread's blocked signals, so SIGTERM would not reach it.
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }

    private static func answers(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
