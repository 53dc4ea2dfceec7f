import Foundation
import Logging
import NIOPosix
import SharedPlatform
import SharedStorage
import TestSupport
import Testing

/// PostgreSQL high availability on loopback, with real servers: a group names several `hosts`,
/// writes go to the one that takes them, and when that server goes away or stops taking writes
/// the pool finds the one that does by itself, the calls in between failing as an outage (503),
/// through the outage monitor as in a worker. Promoting a standby is done by hand here, as
/// PostgreSQL's own tooling would do it.
@Suite(.serialized, .startsServers)
struct PostgresFailoverTests {
    let logger: Logger = {
        var logger = Logger(label: "postgres-failover-tests")
        logger.logLevel = .critical
        return logger
    }()

    private func options(_ servers: [PostgresServerProcess]) -> StorageBackendConfig.PostgresOptions {
        StorageBackendConfig.PostgresOptions(
            host: "127.0.0.1", port: 1, user: "postgres", password: "", database: "oauth2", ssl: false, ttl: 0,
            hosts: servers.map { .init(host: "127.0.0.1", port: $0.port) })
    }

    private func migrate(_ server: PostgresServerProcess) async throws {
        let logger = logger
        try await PostgresDatabase(options: options([server]), logger: logger, servesRequests: false).whileRunning {
            try await $0.migrate(logger: logger)
        }
    }

    /// Runs `body` with the `codes` store of a worker whose PostgreSQL hosts are `servers`.
    private func withStore(
        hosts servers: [PostgresServerProcess], _ body: (any RecordStore) async throws -> Void
    ) async throws {
        let database = PostgresDatabase(options: options(servers), logger: logger)
        // No timer of the monitor's own, as in a worker: the pool bounds every call itself.
        let monitor = OutageMonitor(
            backend: database.description, timeout: nil, eventLoop: MultiThreadedEventLoopGroup.singleton.next(), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.run() }
            defer { group.cancelAll() }
            try await body(MonitoredStore(PostgresRecordStore(group: "codes", defaultTTL: 0, database: database), monitor: monitor))
        }
    }

    private static func count(_ key: String, on server: PostgresServerProcess) throws -> String {
        try server.psql("SELECT count(*) FROM oauth2_records WHERE grp = 'codes' AND key = '\(key)'")
    }

    @Test func writesFollowThePrimaryThroughAFailover() async throws {
        let primary = try PostgresServerProcess()
        try await migrate(primary)
        let standby = try PostgresServerProcess(standbyOf: primary)
        #expect(try standby.psql("SELECT pg_is_in_recovery()") == "t")

        // The standby is listed first: it is asked first, and skipped.
        try await withStore(hosts: [standby, primary]) { store in
            try await store.put("before", [1], ttl: nil)
            #expect(try Self.count("before", on: primary) == "1", "written on the primary")
            try #require(await eventually { (try? Self.count("before", on: standby)) == "1" }, "streamed to the standby")

            try primary.stop()
            // Nothing takes writes now: every write is an outage, answered at once.
            var refusedBefore = 0
            try #require(await eventually(timeout: .seconds(20)) {
                do {
                    try await store.put("during", [2], ttl: nil)
                    Issue.record("a write succeeded with no primary")
                } catch is StorageUnavailable {
                    refusedBefore += 1
                }
                return refusedBefore >= 5
            }, "writes are refused while no server takes them")

            try standby.promote()
            var refusedAfter = 0
            try #require(await eventually(timeout: .seconds(30)) {
                do {
                    try await store.put("after", [3], ttl: nil)
                    return true
                } catch is StorageUnavailable {
                    refusedAfter += 1
                    return false
                }
            }, "the pool finds the promoted standby by itself")
            #expect(try Self.count("after", on: standby) == "1", "written on the promoted standby")
            #expect(try await store.get("before") == [1], "what was written before the failover is there")
            print("PostgreSQL failover: \(refusedBefore) writes refused (503) while no server took writes, "
                + "\(refusedAfter) more after the promotion, then writes went to the new primary")
        }
    }

    /// A server that stops taking writes while the pool's connections to it stay open, as one
    /// behind a virtual address that now leads to a standby: the first write refused as
    /// read-only (SQLSTATE 25006) makes the pool ask the hosts again, and the next write goes
    /// to the next host that takes writes.
    @Test func aWriteRefusedAsReadOnlyMovesThePoolToTheNextHost() async throws {
        let first = try PostgresServerProcess()
        let second = try PostgresServerProcess()
        try await migrate(first)
        try await migrate(second)
        try await withStore(hosts: [first, second]) { store in
            try await store.put("first", [1], ttl: nil)
            #expect(try Self.count("first", on: first) == "1")

            _ = try first.psql("ALTER SYSTEM SET default_transaction_read_only = on")
            _ = try first.psql("SELECT pg_reload_conf()")
            var attempts = 0
            try #require(await eventually {
                attempts += 1
                return (try? await store.put("probe-\(attempts)", [2], ttl: nil)) == nil
            }, "a write is refused once the server takes no more writes")
            try #require(await eventually { (try? await store.put("moved", [3], ttl: nil)) != nil }, "writes work again")
            #expect(try Self.count("moved", on: second) == "1", "on the next host that takes writes")
            #expect(try Self.count("moved", on: first) == "0")
        }
    }

    /// A worker's connections are shared by its concurrent calls, not one per call: however many
    /// calls run at once, it opens no more than its bound (the figure docs/production-checklist.md
    /// gives operators for sizing `max_connections`).
    @Test func concurrentCallsShareAFewConnections() async throws {
        let server = try PostgresServerProcess()
        try await migrate(server)
        try await withStore(hosts: [server]) { store in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<200 {
                    group.addTask { try await store.put("k\(n)", [UInt8(n % 256)], ttl: nil) }
                }
                try await group.waitForAll()
            }
            #expect(try await store.get("k199") == [199])
            let open = try #require(Int(server.psql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'oauth2' AND pid <> pg_backend_pid()")))
            #expect((1...8).contains(open), "\(open) connections for 200 concurrent calls")
        }
    }

    /// A server that answers but keeps calls waiting (here behind a lock another session holds
    /// longer than any call may wait): the calls fail as an outage when their time is up, not
    /// when the lock is let go, those queued behind them on the same connections too, and once
    /// the lock is gone calls are answered again with no restart.
    @Test func callsKeptWaitingFailInTimeAndTheStoreRecovers() async throws {
        let server = try PostgresServerProcess()
        // Stopped here, not only when the last reference goes: the lock holder's thread holds one
        // and may outlive the test process's last test.
        defer { try? server.stop() }
        try await migrate(server)
        try await withStore(hosts: [server]) { store in
            try await store.put("kept", [1], ttl: nil)
            let holder = Thread {
                _ = try? server.psql("BEGIN; LOCK TABLE oauth2_records IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(10); COMMIT")
            }
            holder.start()
            try #require(await eventually {
                (try? server.psql("""
                    SELECT count(*) FROM pg_locks WHERE relation = 'oauth2_records'::regclass AND mode = 'AccessExclusiveLock' AND granted
                    """)) == "1"
            }, "the other session holds the lock")

            let started = ContinuousClock.now
            let outcomes = await withTaskGroup(of: (Bool, Duration).self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        let refused: Bool
                        do {
                            _ = try await store.get("kept")
                            refused = false
                        } catch {
                            refused = error is StorageUnavailable
                        }
                        return (refused, ContinuousClock.now - started)
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let slowest = outcomes.map(\.1).max() ?? .zero
            #expect(outcomes.allSatisfy { $0.0 }, "every call waiting on the lock fails as an outage: \(outcomes)")
            #expect(slowest < .seconds(5), "within the call limit (3 s), not the lock's 10 s: the slowest took \(slowest)")

            // The lock goes: the holder's sleep is cancelled, so its transaction ends now.
            _ = try? server.psql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(10)%' AND pid <> pg_backend_pid()")

            try #require(await eventually(timeout: .seconds(20)) { (try? await store.get("kept")) == [1] },
                          "answered again once the lock is gone")
        }
    }
}
