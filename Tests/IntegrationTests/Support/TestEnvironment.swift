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

/// Tells a background load loop to finish its current request and stop.
final class StopFlag: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}

/// A count that a background load loop raises and the test reads.
final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func increment() { count.withLock { $0 += 1 } }
}
