import Foundation
import TestSupport

/// The Redis host: a primary, two replicas and three sentinels, all on one address (ports
/// 6379-6381 and 26379-26381), with the short timings of a test (a dead primary is noticed in
/// a second). The servers find the primary through the sentinels, as in production.
final class RedisSentinelHost: @unchecked Sendable {
    static let masterName = "oauth2"
    static let serverPorts = [6379, 6380, 6381]
    static let sentinelPorts = [26379, 26380, 26381]

    let host: TestNetwork.Host
    private let directory: String
    /// By port; the first is the primary at start.
    private var servers: [Int: NamespacedProcess] = [:]
    private var sentinels: [NamespacedProcess] = []

    init(on host: TestNetwork.Host, directory: String) async throws {
        self.host = host
        self.directory = directory
        let address = host.address
        for port in Self.serverPorts {
            let replication = port == Self.serverPorts[0] ? [] : ["--replicaof", address, "\(Self.serverPorts[0])"]
            // A folder each: a replica's full sync goes through a file in it.
            let folder = "\(directory)/redis-\(port)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            servers[port] = try NamespacedProcess(
                "redis \(port)", in: host, "/usr/bin/redis-server",
                ["--port", "\(port)", "--bind", address, "--save", "", "--appendonly", "no", "--protected-mode", "no",
                 "--dir", folder] + replication,
                logPath: "\(directory)/redis-\(port).log")
        }
        for port in Self.sentinelPorts {
            // Sentinel rewrites its file as it learns the topology, so each has its own.
            let file = "\(directory)/sentinel-\(port).conf"
            try """
                port \(port)
                bind \(address)
                protected-mode no
                dir \(directory)
                sentinel monitor \(Self.masterName) \(address) \(Self.serverPorts[0]) 2
                sentinel down-after-milliseconds \(Self.masterName) 1000
                sentinel failover-timeout \(Self.masterName) 5000
                sentinel parallel-syncs \(Self.masterName) 2
                """.write(toFile: file, atomically: true, encoding: .utf8)
            sentinels.append(try NamespacedProcess(
                "sentinel \(port)", in: host, "/usr/bin/redis-server", [file, "--sentinel"], logPath: "\(directory)/sentinel-\(port).log"))
        }
        // Ready when both replicas are in sync (online: a replica still loading its first full
        // copy acknowledges nothing, and writes with wait_replicas would answer 503) and every
        // sentinel knows the primary.
        let ready = await eventually(timeout: .seconds(20), interval: .milliseconds(100)) {
            self.info(Self.serverPorts[0], "replication").ranges(of: "state=online").count == 2
                && Self.sentinelPorts.allSatisfy { self.primary(askingSentinelAt: $0) == Self.serverPorts[0] }
        }
        guard ready else { throw ServerProcessFailure("Redis with sentinels did not come up:\n\(logs)") }
    }

    /// The storage group settings every server host uses.
    func storageGroup(ttl: Int) -> [String: Any] {
        [
            "type": "Redis", "db": 0, "ttl": ttl, "master_name": Self.masterName, "wait_replicas": 1,
            "sentinels": Self.sentinelPorts.map { ["host": host.address, "port": $0] },
        ]
    }

    /// The port of the primary a sentinel names now.
    func primary(askingSentinelAt port: Int) -> Int? {
        let answer = redisCLI(port, ["SENTINEL", "get-master-addr-by-name", Self.masterName])
        return answer.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// Kills the current primary (SIGKILL: no goodbye to replicas or clients); returns its port.
    func killPrimary() throws -> Int {
        let port = try primaryPort()
        servers[port]?.kill()
        return port
    }

    func primaryPort() throws -> Int {
        guard let port = primary(askingSentinelAt: Self.sentinelPorts[0]) else { throw ServerProcessFailure("no sentinel names a primary") }
        return port
    }

    /// Every sentinel names a primary other than `old` and has finished the failover (the
    /// primary's flags say only `master`), and the primary has a replica again (so writes that
    /// wait for one replica go through).
    func hasFailedOver(from old: Int) -> Bool {
        let named = Set(Self.sentinelPorts.map { primary(askingSentinelAt: $0) })
        guard named.count == 1, let new = named.first ?? nil, new != old else { return false }
        let settled = Self.sentinelPorts.allSatisfy { port in
            redisCLI(port, ["SENTINEL", "master", Self.masterName]).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .split(separator: "flags").dropFirst().first?.first == "master"
        }
        guard settled else { return false }
        let replication = info(new, "replication")
        return replication.contains("role:master") && replication.firstMatch(of: #/connected_slaves:[1-9]/#) != nil
    }

    func stop() {
        for sentinel in sentinels { sentinel.kill() }
        for server in servers.values { server.kill() }
    }

    var logs: String {
        (Array(servers.values) + sentinels).map { "--- \($0.name):\n\($0.log.suffix(1500))" }.joined(separator: "\n")
    }

    private func info(_ port: Int, _ section: String) -> String { redisCLI(port, ["INFO", section]) }

    private func redisCLI(_ port: Int, _ command: [String]) -> String {
        (try? Command.output("/usr/bin/redis-cli", ["-h", host.address, "-p", "\(port)"] + command).output) ?? ""
    }
}
