import Foundation
import Glibc
import TestSupport
import Testing

extension IntegrationTests {
    /// What `wait_replicas` buys when Redis Sentinel replaces a dead primary, measured through
    /// the real server: tokens issued with client credentials (kept in Redis), checked by
    /// introspection after the failover. The replicas are frozen (SIGSTOP) and their links cut
    /// while tokens are issued, so replication lags by exactly those tokens; then the primary
    /// is killed, the replicas woken, and the sentinels promote one of them.
    @Suite(.serialized)
    struct SentinelFailoverTests {
        /// One run's figures.
        struct Figures: CustomStringConvertible {
            /// Token requests answered 200, before and while the replicas were frozen.
            var acknowledged = 0
            /// Of those, tokens the new primary does not know (introspection says inactive).
            var lost = 0
            /// Token requests answered 503 while the replicas were frozen.
            var unavailable = 0

            var description: String { "\(acknowledged) tokens acknowledged, \(lost) of them lost, \(unavailable) requests answered 503" }
        }

        @Test func waitReplicasKeepsEveryAcknowledgedTokenThroughAFailover() async throws {
            let without = try await failover(waitReplicas: 0)
            let with = try await failover(waitReplicas: 1)
            print("Redis Sentinel failover, replicas frozen while 6 tokens were asked for:")
            print("  without wait_replicas: \(without)")
            print("  with wait_replicas: 1: \(with)")
            #expect(without.lost > 0, "without wait_replicas, tokens the primary acknowledged alone die with it: \(without)")
            #expect(without.unavailable == 0, "\(without)")
            #expect(with.lost == 0, "with wait_replicas, every acknowledged token survives: \(with)")
            #expect(with.unavailable > 0, "the requests no replica could acknowledge were answered 503: \(with)")
        }

        /// Issues 3 tokens, freezes both replicas, asks for 6 more, kills the primary, wakes the
        /// replicas, waits for the sentinels' promotion and the server's recovery, and introspects
        /// every token that was answered 200.
        private func failover(waitReplicas: Int) async throws -> Figures {
            let topology = try await SentinelTopology()
            let tokens: [String: Any] = [
                "type": "Redis", "db": 0, "master_name": "mymaster", "wait_replicas": waitReplicas,
                "sentinels": topology.sentinels.map { ["host": "127.0.0.1", "port": $0.port] },
            ]
            let server = try await ServerProcess.start(workers: 1, overrides: ["storage": ["tokens": tokens]], clients: FlowClients.file)
            defer {
                server.kill()
                topology.stop()
            }
            let driver = OAuthDriver(server: server)
            func issue() async throws -> (status: Int, token: String?) {
                let answer = try await driver.post([("grant_type", "client_credentials")], basic: ("service", FlowClients.secrets["service"]!))
                return (answer.status, answer.status == 200 ? try OAuthDriver.json(answer)["access_token"] as? String : nil)
            }

            var figures = Figures()
            var acknowledged: [String] = []
            for _ in 0..<3 {
                let (status, token) = try await issue()
                try #require(status == 200, "tokens are issued before the failover")
                acknowledged.append(try #require(token))
            }
            let written = try #require(topology.primaryOffset())
            try #require(await eventually(timeout: .seconds(10)) { topology.replicasHave(written) }, "both replicas have the first tokens")

            // Frozen, and cut off: a frozen replica's kernel would still take in what the
            // primary sends, and hand it over on waking. Its links are closed, so every write
            // from now on reaches the primary only (and the replicas cannot reconnect).
            for replica in topology.replicas { replica.signal(SIGSTOP) }
            try #require(SentinelTopology.redis(topology.primary.port, "CLIENT", "KILL", "TYPE", "replica").hasPrefix("2"), "both links closed")
            for _ in 0..<6 {
                let (status, token) = try await issue()
                if let token { acknowledged.append(token) }
                if status == 503 { figures.unavailable += 1 }
            }
            figures.acknowledged = acknowledged.count
            await topology.primary.stop()
            for replica in topology.replicas { replica.signal(SIGCONT) }

            try #require(await eventually(timeout: .seconds(40)) { topology.promotedReplica() != nil }, "the sentinels promote a replica")
            try #require(await eventually(timeout: .seconds(30)) { (try? await issue())?.status == 200 }, "the server issues tokens again")
            for token in acknowledged {
                let answer = try await driver.post([("token", token)], to: "/introspect", basic: ("service", FlowClients.secrets["service"]!))
                try #require(answer.status == 200, "introspection works after the failover: \(answer.status) \(answer.body)")
                if try OAuthDriver.json(answer)["active"] as? Bool != true { figures.lost += 1 }
            }
            #expect(await server.stop() == 0)
            return figures
        }
    }
}

/// A Redis primary, two replicas and three sentinels (quorum 2) on loopback, ready for a
/// failover. Stopped by pid, sentinels first: a sentinel outliving a server it watched would
/// reconfigure whatever server a later test starts on that port.
private final class SentinelTopology {
    let primary: RedisServerProcess
    let replicas: [RedisServerProcess]
    let sentinels: [RedisSentinelProcess]

    init() async throws {
        primary = try await RedisServerProcess()
        var replicas: [RedisServerProcess] = []
        for _ in 0..<2 { replicas.append(try await RedisServerProcess(arguments: ["--replicaof", "127.0.0.1", "\(primary.port)"])) }
        self.replicas = replicas
        var sentinels: [RedisSentinelProcess] = []
        for _ in 0..<3 { sentinels.append(try await RedisSentinelProcess(monitoring: primary.port)) }
        self.sentinels = sentinels
        let ready = await eventually(timeout: .seconds(20), interval: .milliseconds(100)) { [self] in
            onlineReplicaOffsets().count == 2 && self.sentinels.allSatisfy { sentinel in
                Self.redis(sentinel.port, "SENTINEL", "REPLICAS", "mymaster").components(separatedBy: "\n").filter { $0 == "flags" }.count == 2
            }
        }
        guard ready else {
            stop()
            throw ServerProcessFailure("the replicas did not sync, or the sentinels did not see both")
        }
    }

    deinit { stop() }

    func stop() {
        for sentinel in sentinels { sentinel.stop() }
        for replica in replicas { replica.signal(SIGCONT) }  // a frozen server cannot be stopped cleanly
    }

    /// How far the primary's replication stream has gone.
    func primaryOffset() -> Int? {
        Self.field("master_repl_offset", in: Self.redis(primary.port, "INFO", "replication")).flatMap { Int($0) }
    }

    /// Whether both replicas have acknowledged the stream up to `offset` (the stream is in order,
    /// so they have every write made before it; sentinels' hello messages keep it moving on).
    func replicasHave(_ offset: Int) -> Bool {
        let offsets = onlineReplicaOffsets()
        return offsets.count == 2 && offsets.allSatisfy { $0 >= offset }
    }

    /// The acknowledged offsets of the replicas the primary sees online (`slave0:…,state=online,offset=N,…`).
    private func onlineReplicaOffsets() -> [Int] {
        Self.redis(primary.port, "INFO", "replication").components(separatedBy: "\n")
            .filter { $0.hasPrefix("slave") && $0.contains("state=online") }
            .compactMap { line in line.firstMatch(of: /offset=(\d+)/).flatMap { Int($0.1) } }
    }

    /// The replica that now says it is the primary, if one does.
    func promotedReplica() -> RedisServerProcess? {
        replicas.first { Self.redis($0.port, "INFO", "replication").contains("role:master") }
    }

    private static func field(_ name: String, in info: String) -> String? {
        info.components(separatedBy: "\n").first { $0.hasPrefix("\(name):") }.map {
            String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// One command with redis-cli; its output, or "" when the server does not answer in 2 s.
    static func redis(_ port: Int, _ arguments: String...) -> String {
        let (status, output) = (try? Command.output("/usr/bin/timeout", ["2", "/usr/bin/redis-cli", "-p", "\(port)"] + arguments)) ?? (1, "")
        return status == 0 ? output.replacingOccurrences(of: "\r", with: "") : ""
    }
}
