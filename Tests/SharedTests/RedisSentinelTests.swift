import Foundation
import Glibc
import Logging
import NIOPosix
import SharedPlatform
import SharedStorage
import TestSupport
import Testing

/// Redis high availability through Sentinel, on loopback: a primary, a replica and three
/// sentinels, all real servers. The client asks the sentinels where the primary is, follows a
/// failover by itself, and with `wait_replicas` a write counts only once a replica has it.
@Suite(.serialized, .startsServers)
struct RedisSentinelTests {
    /// The servers of one test, stopped when it ends (by pid, whatever happened).
    final class Topology {
        let primary: RedisServerProcess
        let replica: RedisServerProcess
        let sentinels: [RedisSentinelProcess]

        init() async throws {
            primary = try await RedisServerProcess()
            replica = try await RedisServerProcess(arguments: ["--replicaof", "127.0.0.1", "\(primary.port)"])
            var sentinels: [RedisSentinelProcess] = []
            for _ in 0..<3 { sentinels.append(try await RedisSentinelProcess(monitoring: primary.port)) }
            self.sentinels = sentinels
            // Ready for a failover once the replica is in sync and every sentinel knows it.
            try await eventually("the replica syncs and the sentinels see it") {
                guard try await Self.info(port: self.replica.port).contains("master_link_status:up") else { return false }
                for sentinel in self.sentinels {
                    let replicas = try await Self.direct(port: sentinel.port, { try await $0.send("SENTINEL", "REPLICAS", "mymaster") })
                    guard case .array(let known?) = replicas, !known.isEmpty else { return false }
                }
                return true
            }
        }

        /// Sentinels first: a sentinel outliving a server it watched would reconfigure whatever
        /// server a later test starts on that port (as a replica, wiping its data).
        func stop() async {
            for sentinel in sentinels { sentinel.stop() }
            await replica.stop()
            await primary.stop()
        }

        func client() -> RedisClient {
            RedisClient(
                host: "127.0.0.1", port: 1, database: 0, password: nil,
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: quietLogger,
                sentinels: sentinels.map { .init(host: "127.0.0.1", port: $0.port) }, masterName: "mymaster",
                commandTimeout: .seconds(2))
        }

        /// One command to one server, on a connection of its own.
        static func direct<T>(port: Int, _ body: (RedisClient) async throws -> T) async throws -> T {
            let client = RedisClient(
                host: "127.0.0.1", port: port, database: 0, password: nil,
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: quietLogger, connectionCount: 1)
            do {
                let result = try await body(client)
                await client.shutdown()
                return result
            } catch {
                await client.shutdown()
                throw error
            }
        }

        static func info(port: Int) async throws -> String {
            guard case .bulk(let text?) = try await direct(port: port, { try await $0.send("INFO", "replication") }) else { return "" }
            return String(decoding: text, as: UTF8.self)
        }

        static func isPrimary(port: Int) async -> Bool {
            (try? await info(port: port))?.contains("role:master") ?? false
        }
    }

    @Test func aClientFollowsAFailoverToTheNewPrimary() async throws {
        let topology = try await Topology()
        let client = topology.client()
        _ = try await client.send("SET", "before", "1")

        _ = try await Topology.direct(port: topology.sentinels[0].port) { try await $0.send("SENTINEL", "FAILOVER", "mymaster") }
        var refused: [RedisClientError.Kind] = []
        var written = 0
        let deadline = ContinuousClock.now + .seconds(30)
        // Write on until a write lands on the replica that was promoted.
        while ContinuousClock.now < deadline {
            written += 1
            do {
                _ = try await client.send("SET", "after-\(written)", "1")
                if await Topology.isPrimary(port: topology.replica.port),
                    case .bulk(_?) = try await Topology.direct(port: topology.replica.port, { try await $0.send("GET", "after-\(written)") })
                { break }
            } catch let error as RedisClientError {
                refused.append(error.kind)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(ContinuousClock.now < deadline, "the client never wrote to the new primary")
        #expect(refused.allSatisfy { $0 == .unavailable || $0 == .timeout }, "during the switch only outages, never wrong answers: \(refused)")
        let before = try await client.send("GET", "before")
        #expect(before == .bulk(Array("1".utf8)), "what was written before the failover is on the new primary")
        await client.shutdown()
        await topology.stop()
    }

    /// A primary that hangs rather than dies leaves every connection to it open and silent: each
    /// command would wait its whole timeout before the client looked elsewhere. The sentinels'
    /// `+switch-master` announcement makes the client drop those connections the moment the
    /// failover is done, so commands work again long before their timeout.
    @Test func aFailoverAnnouncedBySentinelMovesTheClientAtOnce() async throws {
        let topology = try await Topology()
        let client = RedisClient(
            host: "127.0.0.1", port: 1, database: 0, password: nil,
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: quietLogger,
            sentinels: topology.sentinels.map { .init(host: "127.0.0.1", port: $0.port) }, masterName: "mymaster",
            connectionCount: 2, commandTimeout: .seconds(60))
        for index in 0..<4 { _ = try await client.send("SET", "before-\(index)", "1") }  // every connection open

        topology.primary.signal(SIGSTOP)
        try await eventually("the sentinels promote the replica", seconds: 30) { await Topology.isPrimary(port: topology.replica.port) }
        let promoted = ContinuousClock.now
        try await eventually("the client writes to the new primary", seconds: 10) {
            (try? await client.send("SET", "after", "1")) == .status("OK")
        }
        #expect(ContinuousClock.now - promoted < .seconds(10), "recovered by the announcement, not by the 60 s command timeout")
        #expect(try await Topology.direct(port: topology.replica.port, { try await $0.send("GET", "after") }) == .bulk(Array("1".utf8)))
        await client.shutdown()
        await topology.stop()
    }

    /// Without `wait_replicas` a write is acknowledged while only the primary has it; with it, the
    /// same write is refused (an outage) until a replica has it, so every acknowledged write
    /// survives the primary's death. And with one replica, once it is promoted, it has nobody to
    /// wait for: writes are refused until a replica returns.
    @Test func withWaitReplicasOnlyWritesAReplicaHasAreAcknowledged() async throws {
        let topology = try await Topology()
        let client = topology.client()
        let waiting = RedisRecordStore(group: "tokens", defaultTTL: 0, client: client, waitReplicas: 1)
        let plain = RedisRecordStore(group: "tokens", defaultTTL: 0, client: client)
        try await waiting.put("acknowledged", [1], ttl: nil)

        topology.replica.signal(SIGSTOP)  // the replica hears nothing and acknowledges nothing
        try await plain.put("only-on-the-primary", [2], ttl: nil)
        let started = ContinuousClock.now
        await #expect(throws: RedisClientError.self) { try await waiting.put("refused", [3], ttl: nil) }
        #expect(ContinuousClock.now - started < .seconds(3), "a write waits for its replica a bounded time")
        topology.replica.signal(SIGCONT)
        try await eventually("writes are acknowledged again") { (try? await waiting.put("acknowledged-later", [4], ttl: nil)) != nil }

        // The primary dies (frozen, so its port stays taken until the sentinels are gone).
        topology.primary.signal(SIGSTOP)
        try await eventually("the sentinels promote the replica", seconds: 30) {
            guard await Topology.isPrimary(port: topology.replica.port) else { return false }
            return try await plain.get("acknowledged") != nil
        }
        #expect(try await plain.get("acknowledged") == [1])
        #expect(try await plain.get("acknowledged-later") == [4])
        await #expect(throws: RedisClientError.self, "the new primary has no replica to wait for") {
            try await waiting.put("no-replica", [5], ttl: nil)
        }

        let newReplica = try await RedisServerProcess(arguments: ["--replicaof", "127.0.0.1", "\(topology.replica.port)"])
        try await eventually("a returning replica lets writes through") { (try? await waiting.put("with-a-replica", [6], ttl: nil)) != nil }
        await client.shutdown()
        await topology.stop()
        await newReplica.stop()
    }
}

private let quietLogger: Logger = {
    var logger = Logger(label: "redis-sentinel-tests")
    logger.logLevel = .critical
    return logger
}()

/// Polls `condition` (an error counts as not yet) until it holds, or fails the test after `seconds`.
private func eventually(_ what: String, seconds: Int = 15, _ condition: () async throws -> Bool) async throws {
    guard await TestSupport.eventually(timeout: .seconds(seconds), interval: .milliseconds(100), { (try? await condition()) == true }) else {
        Issue.record("not within \(seconds) s: \(what)")
        throw CancellationError()
    }
}
