import Foundation
import Logging
import SharedPlatform
import SupervisorCore
import TestSupport

/// An arbiter on a real configuration folder (the shipped `etc/default.json` under a test
/// layer) and a `ProcessTable`, driven one loop turn at a time.
final class ArbiterFixture {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    let folder: String
    let table = ProcessTable()
    let arbiter: Arbiter
    private let location: ConfigLocation

    init(
        workers: Int = 2,
        prepareStorage: @escaping @Sendable (StorageConfig, Logger) async throws -> Void = { _, _ in }
    ) throws {
        folder = NSTemporaryDirectory() + "arbiter-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.repository + "/etc/default.json", toPath: folder + "/default.json")
        try FileManager.default.copyItem(atPath: Self.repository + "/views", toPath: folder + "/views")
        try Self.write(Self.testLayer(folder: folder, workers: workers), to: folder + "/test.json")
        location = ConfigLocation(directory: folder, environmentName: "test")
        let config = try ServerConfig.load(from: location)
        arbiter = try Arbiter(
            config: config, location: location, processes: table,
            logger: Logger(label: "arbiter-test", factory: { _ in SwiftLogNoOpLogHandler() }),
            prepareStorage: prepareStorage)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    /// One turn of the loop, without waiting.
    @discardableResult
    func turn() -> Int32? { arbiter.turn(waitingUpTo: .zero) }

    /// Turns the loop until `condition` holds: a reload is read and checked off the loop thread,
    /// so its outcome shows a few turns later.
    func turn(until condition: () -> Bool) async -> Bool {
        await eventually {
            turn()
            return condition()
        }
    }

    /// Starts the server: its first workers boot and say they accept.
    @discardableResult
    func start() -> [pid_t] {
        turn()
        let pids = bootingWorkers()
        ready(pids)
        return pids
    }

    /// Starts the server, then reloads it with a setting its workers read at boot changed
    /// (`refresh_token_grace_seconds` 0 → 5): the running workers and the new generation's.
    func startAndReloadWithAChangeThatNeedsNewWorkers() async throws -> (old: [pid_t], new: [pid_t]) {
        let old = start()
        try writeRuntime(["auth_server": ["refresh_token_grace_seconds": 5]])
        table.deliver(SIGHUP)
        guard await turn(until: { arbiter.isRolling }) else { throw ReloadDidNotRoll() }
        return (old, workers(ofGeneration: 2))
    }

    struct ReloadDidNotRoll: Error {}

    /// The workers say they accept connections.
    func ready(_ pids: [pid_t]) {
        for pid in pids { table.channel(of: pid).inbox.append(.ready) }
        turn()
    }

    func heartbeat(_ pids: [pid_t]) {
        for pid in pids { table.channel(of: pid).inbox.append(.heartbeat) }
    }

    func bootingWorkers() -> [pid_t] { workers { $0.state == .booting } }

    func workers(ofGeneration generation: Int) -> [pid_t] { workers { $0.generation == generation && !$0.isQuitting } }

    func workers(where condition: (WorkerProcess) -> Bool) -> [pid_t] {
        arbiter.workers.values.filter(condition).map(\.pid).sorted()
    }

    /// Writes `runtime.json`, the layer an operator edits before SIGHUP.
    func writeRuntime(_ layer: [String: Any]) throws { try Self.write(layer, to: folder + "/runtime.json") }

    func writeRuntime(text: String) throws { try text.write(toFile: folder + "/runtime.json", atomically: true, encoding: .utf8) }

    /// How many times the supervisor's counter with these labels has counted.
    func metric(_ name: String, _ label: String) -> Int {
        for line in arbiter.renderedMetrics.split(separator: "\n") where line.hasPrefix("\(name){\(label)}") {
            return Int(Double(line.split(separator: " ").last!)!)
        }
        return 0
    }

    private static func testLayer(folder: String, workers: Int) -> [String: Any] {
        let database = folder + "/oauth2.sqlite"
        let groups = ["default", "session", "codes", "tokens", "refresh_tokens"]
        return [
            "auth_server": [
                "host": "127.0.0.1", "port": FreePort.loopback(), "url": "http://127.0.0.1:8081",
                "num_workers": workers, "worker_timeout": 30, "shutdown_timeout": 10,
                "session_secret": "a supervisor test's own session secret",
                "views_dir": folder + "/views",
            ],
            "client_credentials": ["file": repository + "/etc/clients.json.example"],
            "storage": Dictionary(uniqueKeysWithValues: groups.map { ($0, ["path": database]) }),
        ]
    }

    private static func write(_ layer: [String: Any], to path: String) throws {
        try JSONSerialization.data(withJSONObject: layer, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))
    }
}
