import Foundation
import TestSupport
import Testing

/// The reference deployment of deploy/multi-host.md, built on this machine: three server hosts
/// (a supervisor with two workers each), a load balancer, a Redis host (primary, two replicas,
/// three sentinels) and a PostgreSQL host, each in its own network namespace on one bridge.
/// `run` builds it, hands it to the test and takes all of it down again, whether the test
/// passed, failed or threw.
final class MultiHostTopology: @unchecked Sendable {
    static let workersPerHost = 2
    static let serverHostNames = ["host-a", "host-b", "host-c"]
    /// Shared by every host, as deploy/multi-host.md says it must be.
    static let sessionSecret = "multi-host session secret, the same on every host"
    static let keysSecret = "multi-host keys secret, 32 characters or more, the same on every host"

    let network: TestNetwork
    let directory: String
    private(set) var redis: RedisSentinelHost!
    private(set) var postgres: PostgresHost!
    private(set) var loadBalancer: LoadBalancerHost!
    /// In the order of `serverHostNames`.
    private(set) var servers: [ServerProcess] = []

    /// Builds the topology, runs `body` with it, and takes it down.
    static func run(_ body: (MultiHostTopology) async throws -> Void) async throws {
        let topology = try MultiHostTopology()
        do {
            try await topology.start()
            try await body(topology)
        } catch {
            topology.printLogs()
            topology.tearDown()
            throw error
        }
        topology.tearDown()
    }

    private init() throws {
        network = try TestNetwork()
        directory = TestEnvironment.temporaryDirectory("multi-host")
        // The PostgreSQL host's commands run as `postgres`, which must reach its folder.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)
    }

    private func start() async throws {
        let balancerHost = try network.addHost("lb", number: 2)
        let redisHost = try network.addHost("redis", number: 5)
        let postgresHost = try network.addHost("pg", number: 6)
        let serverHosts = try Self.serverHostNames.enumerated().map { try network.addHost($1, number: 11 + $0) }

        redis = try await RedisSentinelHost(on: redisHost, directory: directory)
        postgres = try PostgresHost(on: postgresHost, directory: directory, subnet: network.subnet)
        let publicURL = "http://\(balancerHost.address)"
        // All at once, as hosts boot: the schema migration runs once (PostgreSQL advisory lock).
        servers = try await withThrowingTaskGroup(of: (Int, ServerProcess).self) { group in
            for (index, host) in serverHosts.enumerated() {
                group.addTask {
                    let overrides = self.sharedConfiguration(publicURL: publicURL)
                    let server = try await ServerProcess.start(
                        workers: Self.workersPerHost, overrides: overrides, clients: MultiHostClients.file,
                        launcher: TestNetwork.launcher(host), address: host.address)
                    return (index, server)
                }
            }
            return try await group.reduce(into: [(Int, ServerProcess)]()) { $0.append($1) }.sorted { $0.0 < $1.0 }.map(\.1)
        }
        loadBalancer = try await LoadBalancerHost(
            on: balancerHost,
            servers: zip(Self.serverHostNames, servers).map { (name: $0, address: $1.address, port: $1.port) },
            directory: directory)
    }

    /// What every host's configuration holds in common: the secrets, the clients, the stores.
    private func sharedConfiguration(publicURL: String) -> [String: Any] {
        let postgresGroup = postgres.storageGroup
        return [
            "auth_server": [
                "url": publicURL,
                "session_secret": Self.sessionSecret,
                "keys_secret": Self.keysSecret,
                "behind_proxy": true,
                "throttling": ["login_failures_per_user": 3, "first_wait_seconds": 30],
            ],
            "storage": [
                "default": postgresGroup, "users": postgresGroup, "audit": postgresGroup, "keys": postgresGroup,
                "session": redis.storageGroup(ttl: 1800), "codes": redis.storageGroup(ttl: 60),
                "tokens": redis.storageGroup(ttl: 7200), "refresh_tokens": redis.storageGroup(ttl: 7_776_000),
            ],
        ]
    }

    var serverHosts: [TestNetwork.Host] {
        network.hosts.filter { host in servers.contains { $0.address == host.address } }
    }

    func host(of server: ServerProcess) -> TestNetwork.Host {
        network.hosts.first { $0.address == server.address }!
    }

    /// Kills every process (by pid, then whatever is left in the namespaces), removes the
    /// namespaces, the bridge and the files.
    private func tearDown() {
        for server in servers { server.kill() }
        loadBalancer?.stop()
        redis?.stop()
        postgres?.shutDown()
        network.destroy()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func printLogs() {
        for (name, server) in zip(Self.serverHostNames, servers) {
            print("--- \(name) (\(server.address)) log, last lines:\n\(server.log().split(separator: "\n").suffix(30).joined(separator: "\n"))")
        }
        if let loadBalancer { print("--- haproxy log, last lines:\n\(loadBalancer.log.split(separator: "\n").suffix(30).joined(separator: "\n"))") }
        if let redis { print(redis.logs) }
        if let postgres { print("--- postgres log:\n\(postgres.log.suffix(2000))") }
    }
}
