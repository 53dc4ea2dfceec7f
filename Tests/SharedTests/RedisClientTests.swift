import Foundation
import TestSupport
import Logging
import NIOCore
import NIOPosix
import SharedStorage
import Testing

/// `RedisClient` against a real redis-server: every test starts its own server on a free port,
/// so tests cannot see each other's keys and the outage test can stop its server freely.
@Suite(.serialized, .startsServers)
struct RedisClientTests {
    @Test func setAndGet() async throws {
        try await withRedis { _, redis async throws in
            #expect(try await redis.send("SET", "greeting", "hello") == .status("OK"))
            #expect(try await redis.send("GET", "greeting") == .bulk(Array("hello".utf8)))
            #expect(try await redis.send("GET", "no-such-key") == .bulk(nil))
            #expect(try await redis.send("SET", "empty", "") == .status("OK"))
            #expect(try await redis.send("GET", "empty") == .bulk([]))
        }
    }

    @Test func binaryKeysAndValuesRoundTrip() async throws {
        try await withRedis { _, redis async throws in
            let key: [UInt8] = [0x6b, 0x00, 0xff, 0x0d, 0x0a]
            let value: [UInt8] = [0x00, 0xff, 0xfe, 0xc3, 0x28, 0x0d, 0x0a, 0x00, 0x24, 0x2a, 0x2d, 0x2b]
            #expect(try await redis.send([Array("SET".utf8), key, value]) == .status("OK"))
            #expect(try await redis.send([Array("GET".utf8), key]) == .bulk(value))

            // Large enough to arrive in many reads, so the decoder sees replies split anywhere.
            var generator = SystemRandomNumberGenerator()
            let large = (0..<1_000_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(try await redis.send([Array("SET".utf8), Array("large".utf8), large]) == .status("OK"))
            #expect(try await redis.send([Array("GET".utf8), Array("large".utf8)]) == .bulk(large))
        }
    }

    @Test func keysExpire() async throws {
        try await withRedis { _, redis async throws in
            #expect(try await redis.send("SET", "short-lived", "x", "EX", "1") == .status("OK"))
            let ttl = try await redis.send("TTL", "short-lived")
            #expect(ttl == .integer(1) || ttl == .integer(0))
            #expect(try await eventually(timeout: .seconds(3)) { try await redis.send("GET", "short-lived") == .bulk(nil) })
            #expect(try await redis.send("TTL", "short-lived") == .integer(-2))
        }
    }

    @Test func getDelConsumesOnce() async throws {
        try await withRedis { _, redis async throws in
            _ = try await redis.send("SET", "code", "abc")
            #expect(try await redis.send("GETDEL", "code") == .bulk(Array("abc".utf8)))
            #expect(try await redis.send("GETDEL", "code") == .bulk(nil))
            #expect(try await redis.send("GET", "code") == .bulk(nil))
        }
    }

    @Test func setCommands() async throws {
        try await withRedis { _, redis async throws in
            #expect(try await redis.send("SADD", "grants", "a", "b", "c") == .integer(3))
            #expect(try await redis.send("SADD", "grants", "a") == .integer(0))
            #expect(try await Self.members(redis.send("SMEMBERS", "grants")) == ["a", "b", "c"])
            #expect(try await redis.send("SREM", "grants", "a", "z") == .integer(1))
            #expect(try await Self.members(redis.send("SMEMBERS", "grants")) == ["b", "c"])
            #expect(try await redis.send("SMEMBERS", "no-such-set") == .array([]))
        }
    }

    @Test func errorRepliesAreThrownAndTheConnectionStaysUsable() async throws {
        try await withRedis { _, redis async throws in
            _ = try await redis.send("SET", "counter", "not a number")
            let error = await #expect(throws: RedisClientError.self) { try await redis.send("INCR", "counter") }
            #expect(error?.kind == .serverError)
            #expect(error?.message.contains("not an integer") == true)
            // The reply stream is still in step: the next commands get their own replies.
            for _ in 0..<8 {
                #expect(try await redis.send("GET", "counter") == .bulk(Array("not a number".utf8)))
            }
            // An error inside an array is a value, not a thrown error.
            let nested = try await redis.send("EVAL", "return {1, redis.error_reply('boom')}", "0")
            guard case .array(let elements?) = nested, elements.count == 2, case .error(let message) = elements[1] else {
                Issue.record("unexpected reply \(nested)")
                return
            }
            #expect(elements[0] == .integer(1))
            #expect(message.contains("boom"))
        }
    }

    @Test func concurrentCommandsAreAnsweredInOrder() async throws {
        try await withRedis { _, redis async throws in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        #expect(try await redis.send("SET", "key-\(index)", "value-\(index)") == .status("OK"))
                        #expect(try await redis.send("GET", "key-\(index)") == .bulk(Array("value-\(index)".utf8)))
                        _ = try await redis.send("INCR", "counter")
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await redis.send("GET", "counter") == .bulk(Array("200".utf8)))
        }
    }

    @Test func selectSeparatesDatabases() async throws {
        try await withRedis(database: 3) { server, database3 async throws in
            let database0 = Self.client(port: server.port)
            defer { Task { await database0.shutdown() } }
            _ = try await database3.send("SET", "where", "three")
            // More commands than connections: every pooled connection must have selected 3.
            for _ in 0..<8 {
                #expect(try await database3.send("GET", "where") == .bulk(Array("three".utf8)))
                #expect(try await database0.send("GET", "where") == .bulk(nil))
            }
            #expect(try await database3.send("DBSIZE") == .integer(1))
            #expect(try await database0.send("DBSIZE") == .integer(0))
            await database0.shutdown()
        }
    }

    @Test func authenticatesWithPassword() async throws {
        try await withRedis(serverArguments: ["--requirepass", "s3cret"], password: "s3cret") { server, redis async throws in
            for index in 0..<8 {
                #expect(try await redis.send("SET", "k\(index)", "v") == .status("OK"))
            }

            let wrong = Self.client(port: server.port, password: "wrong")
            let refused = await #expect(throws: RedisClientError.self) { try await wrong.send("GET", "k0") }
            #expect(refused?.kind == .serverError)
            #expect(refused?.description.contains("refused AUTH") == true)
            #expect(refused?.description.contains("WRONGPASS") == true)
            await wrong.shutdown()

            let anonymous = Self.client(port: server.port)
            let denied = await #expect(throws: RedisClientError.self) { try await anonymous.send("GET", "k0") }
            #expect(denied?.kind == .serverError)
            #expect(denied?.message.contains("NOAUTH") == true)
            await anonymous.shutdown()
        }
    }

    @Test func slowCommandsTimeOutAndTheClientRecovers() async throws {
        try await withRedis(connectionCount: 1, commandTimeout: .seconds(1)) { _, redis async throws in
            let start = ContinuousClock.now
            // BLPOP on an empty list waits for 5 s on the server; the client gives up first.
            let error = await #expect(throws: RedisClientError.self) { try await redis.send("BLPOP", "empty", "5") }
            #expect(error?.kind == .timeout)
            #expect(ContinuousClock.now - start < .seconds(4))
            #expect(try await redis.send("PING") == .status("PONG"))
        }
    }

    @Test func failsFastWhileRedisIsDownAndRecoversWhenItIsBack() async throws {
        try await withRedis(commandTimeout: .seconds(10)) { server, redis async throws in
            #expect(try await redis.send("SET", "before", "1") == .status("OK"))

            // A command in flight when the server goes away fails as unavailable, not as a hang.
            let blocked = Task { try await redis.send("BLPOP", "empty", "30") }
            let probe = Self.client(port: server.port)
            #expect(await eventually {
                guard case .bulk(let info?)? = try? await probe.send("INFO", "clients") else { return false }
                return String(decoding: info, as: UTF8.self).contains("blocked_clients:1")
            }, "the BLPOP is in flight")
            await probe.shutdown()
            let start = ContinuousClock.now
            await server.stop()
            let inFlight = await #expect(throws: RedisClientError.self) { try await blocked.value }
            #expect(inFlight?.kind == .unavailable)

            // More commands than connections, so every slot has to find out.
            for _ in 0..<8 {
                let error = await #expect(throws: RedisClientError.self) { try await redis.send("GET", "before") }
                #expect(error?.kind == .unavailable)
            }
            let elapsed = ContinuousClock.now - start
            #expect(elapsed < .seconds(5), "failing took \(elapsed)")

            try await server.start()
            // The restarted server kept nothing (no persistence); the same client works again.
            for index in 0..<8 {
                #expect(try await redis.send("SET", "after-\(index)", "2") == .status("OK"))
                #expect(try await redis.send("GET", "after-\(index)") == .bulk(Array("2".utf8)))
            }
            #expect(try await redis.send("GET", "before") == .bulk(nil))
        }
    }

    @Test func commandsAfterShutdownFail() async throws {
        try await withRedis { _, redis async throws in
            #expect(try await redis.send("PING") == .status("PONG"))
            await redis.shutdown()
            let error = await #expect(throws: RedisClientError.self) { try await redis.send("PING") }
            #expect(error?.kind == .unavailable)
        }
    }

    // MARK: - Helpers

    /// Starts a private redis-server, hands it and a client to `body`, then shuts both down.
    /// Callers spell out `async throws in`: a `try` that appears only inside `#expect` does not
    /// make a closure throwing, and the closure would not compile.
    /// Scripts go by their hash (EVALSHA); a Redis that has not seen one yet, or has forgotten
    /// it (a restart, a failover to a replica, SCRIPT FLUSH), is sent the script itself.
    @Test func scriptsAreRunByHashAndResentWhenRedisForgetsThem() async throws {
        try await withRedis { _, redis async throws in
            let store = RedisRecordStore(group: "tokens", defaultTTL: 60, client: redis)
            let marker = RecordMarker(field: "grantID", keyPrefix: "revoked-grant:")
            let record = Array(#"{"grantID":"g1","scope":"read"}"#.utf8)
            try await store.put("token", record, ttl: nil)
            #expect(try await store.get("token", unlessMarkedBy: marker) == record)
            #expect(try await redis.send("SCRIPT", "FLUSH") == .status("OK"))
            #expect(try await store.get("token", unlessMarkedBy: marker) == record)
            try await store.put("revoked-grant:g1", Array("1".utf8), ttl: nil)
            #expect(try await store.get("token", unlessMarkedBy: marker) == nil)
            // What Redis saw: EVALSHA each time, and the script itself only the two times it did
            // not know it (at first, and after the flush).
            let stats = try await redis.send("INFO", "commandstats")
            guard case .bulk(let text?) = stats else { Issue.record("INFO answered \(stats)"); return }
            let info = String(decoding: text, as: UTF8.self)
            #expect(info.contains("cmdstat_evalsha:calls=3,"))
            #expect(info.contains("cmdstat_eval:calls=2,"))
        }
    }

    private func withRedis(
        serverArguments: [String] = [],
        database: Int = 0,
        password: String? = nil,
        connectionCount: Int = 4,
        commandTimeout: Duration = .seconds(3),
        _ body: (RedisServerProcess, RedisClient) async throws -> Void
    ) async throws {
        let server = try await RedisServerProcess(arguments: serverArguments)
        let client = Self.client(
            port: server.port, database: database, password: password,
            connectionCount: connectionCount, commandTimeout: commandTimeout)
        do {
            try await body(server, client)
        } catch {
            await client.shutdown()
            await server.stop()
            throw error
        }
        await client.shutdown()
        await server.stop()
    }

    private static func client(
        port: Int,
        database: Int = 0,
        password: String? = nil,
        connectionCount: Int = 4,
        commandTimeout: Duration = .seconds(3)
    ) -> RedisClient {
        var logger = Logger(label: "redis-client-tests")
        logger.logLevel = .critical
        return RedisClient(
            host: "127.0.0.1", port: port, database: database, password: password,
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger,
            connectionCount: connectionCount, commandTimeout: commandTimeout)
    }

    private static func members(_ reply: RedisReply) -> Set<String> {
        guard case .array(let elements?) = reply else { return [] }
        return Set(elements.compactMap { element in
            guard case .bulk(let bytes?) = element else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        })
    }
}
