import Foundation
import TestSupport
import Synchronization

/// Where the built programs are and other facts about the machine the tests run on.
enum TestEnvironment {
    /// The release build folder: OAUTH2_BIN_DIR (set by scripts/test), or the folder of this test binary.
    static let binDirectory: String = {
        if let dir = ProcessInfo.processInfo.environment["OAUTH2_BIN_DIR"], !dir.isEmpty { return dir }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = (exe as NSString).deletingLastPathComponent
        // swift test runs <build>/<name>.xctest/... on some toolchains.
        while dir.contains(".xctest") { dir = (dir as NSString).deletingLastPathComponent }
        return dir
    }()

    /// The package's folder (for the shipped views/ and etc/).
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func executable(_ name: String) -> String {
        (binDirectory as NSString).appendingPathComponent(name)
    }

    /// A loopback port nobody listens on right now.
    static func freePort() -> Int { FreePort.loopback() }

    static func temporaryDirectory(_ prefix: String) -> String {
        let path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(10), interval: Duration = .milliseconds(50), _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try condition()
}

/// Tells a background load loop to finish its current request and stop.
final class StopFlag: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}

/// `eventually` for conditions that need to await (an HTTP request).
func eventuallyAsync(timeout: Duration = .seconds(10), interval: Duration = .milliseconds(100), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return await condition()
}
