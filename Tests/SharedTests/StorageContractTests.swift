import Foundation
import Logging
import NIOPosix
import SharedStorage
import TestSupport
import Testing

/// The promises every storage backend keeps, checked against real servers: SQLite on a temp
/// file, and the Redis and PostgreSQL that scripts/test starts (OAUTH2_TEST_REDIS_PORT,
/// OAUTH2_TEST_POSTGRES_PORT).
struct StorageContractTests {
    typealias Backend = TestBackend

    /// A store for a fresh group, torn down afterwards.
    static func withStore<T: Sendable>(
        _ backend: Backend, defaultTTL: Int = 0, _ body: @Sendable (any RecordStore, any AuditLog) async throws -> T
    ) async throws -> T {
        try await backend.withStores(["records"], defaultTTL: defaultTTL) { stores, audit in try await body(stores["records"]!, audit) }
    }

    @Test(arguments: Backend.allCases)
    func failureCountersCountEveryConcurrentFailureAndForgetAfterTheirWindow(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, _ in
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            #expect(try await store.failures("guess") == nil)
            // 40 workers failing at once: each failure counted once (no lost update).
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<40 { group.addTask { try await store.countFailure("guess", now: now, window: 60_000).count } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(counts.sorted() == Array(1...40), "every failure got its own count")
            #expect(try await store.failures("guess") == FailureCount(count: 40, last: now))
            #expect(try await store.failures("other") == nil, "counters are per key")

            // A failure after the window starts the count again.
            #expect(try await store.countFailure("guess", now: now + 60_001, window: 60_000).count == 1)
            try await store.clearFailures("guess")
            #expect(try await store.failures("guess") == nil)

            // A counter expires a window after its last failure.
            _ = try await store.countFailure("brief", now: Int64(Date().timeIntervalSince1970 * 1000), window: 300)
            #expect(try await store.failures("brief")?.count == 1)
            #expect(try await eventually(timeout: .seconds(5)) { try await store.failures("brief") == nil })
        }
    }

    @Test(arguments: Backend.allCases)
    func putGetDeleteKeepBinaryValuesExactly(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, _ in
            let value: [UInt8] = [0, 255, 10, 13, 0x80, 0xC3, 0x28, 0]
            try await store.put("k1", value)
            #expect(try await store.get("k1") == value)
            try await store.put("k1", [1, 2, 3])
            #expect(try await store.get("k1") == [1, 2, 3], "put replaces")
            try await store.delete("k1")
            #expect(try await store.get("k1") == nil)
            #expect(try await store.get("never-written") == nil)
            #expect(try await store.take("never-written") == nil)
            try await store.delete("never-written")  // deleting nothing is fine
            try await store.ping()
        }
    }

    @Test(arguments: Backend.allCases)
    func recordsExpireAfterTheirTTL(_ backend: Backend) async throws {
        // Lifetimes of 2 s, read back at once: a loaded machine (the whole suite in parallel) can
        // take more than a second between two calls. Reads until they expire (a read changes nothing).
        try await Self.withStore(backend, defaultTTL: 2) { store, _ in
            try await store.put("short", [1], ttl: 2)
            #expect(try await store.get("short") == [1])
            try await store.put("group-default", [2])  // the group's ttl: 2 s
            try await store.put("forever", [3], ttl: 0)
            try await store.put("taken-late", [4], ttl: 2)
            #expect(try await eventually(timeout: .seconds(8)) {
                for key in ["short", "group-default", "taken-late"] {
                    if try await store.get(key) != nil { return false }
                }
                return true
            }, "expired")
            #expect(try await store.take("taken-late") == nil, "an expired record cannot be taken")
            #expect(try await store.get("forever") == [3])
        }
    }

    @Test(arguments: Backend.allCases)
    func fiftyConcurrentTakesOfOneCodeHaveExactlyOneWinner(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, _ in
            for round in 0..<3 {
                try await store.put("code-\(round)", [7, 7, 7])
                let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for _ in 0..<50 { group.addTask { try await store.take("code-\(round)") == [7, 7, 7] } }
                    return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                #expect(winners == 1)
                #expect(try await store.get("code-\(round)") == nil)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func indexesListLiveMembersAndForgetExpiredOnes(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, _ in
            try await store.addToIndex("user:alice", member: "grant-b")
            try await store.addToIndex("user:alice", member: "grant-a")
            try await store.addToIndex("user:alice", member: "grant-a")  // once only
            try await store.addToIndex("user:alice", member: "grant-old", ttl: 1)
            try await store.addToIndex("user:bob", member: "grant-c")
            #expect(try await store.members(ofIndex: "user:alice") == ["grant-a", "grant-b", "grant-old"])
            try await store.removeFromIndex("user:alice", member: "grant-b")
            #expect(try await eventually(timeout: .seconds(5)) { try await store.members(ofIndex: "user:alice") == ["grant-a"] })
            #expect(try await store.members(ofIndex: "user:bob") == ["grant-c"])
            try await store.deleteIndex("user:bob")
            #expect(try await store.members(ofIndex: "user:bob").isEmpty)
            #expect(try await store.members(ofIndex: "user:nobody").isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func aRecordStoredWithItsIndexEntryIsDeletedWithTheIndex(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, _ in
            try await store.put("token-1", [1], ttl: 60, indexedIn: "issued-for:g1")
            try await store.put("token-2", [2], ttl: 60, indexedIn: "issued-for:g1")
            try await store.put("token-3", [3], ttl: 60, indexedIn: "issued-for:g2")
            #expect(try await store.members(ofIndex: "issued-for:g1") == ["token-1", "token-2"])
            #expect(try await store.get("token-2") == [2])

            try await store.deleteIndexed("issued-for:g1")
            #expect(try await store.get("token-1") == nil)
            #expect(try await store.get("token-2") == nil)
            #expect(try await store.members(ofIndex: "issued-for:g1").isEmpty)
            #expect(try await store.get("token-3") == [3], "another index's records stay")
            #expect(try await store.members(ofIndex: "issued-for:g2") == ["token-3"])
            try await store.deleteIndexed("issued-for:nothing")  // deleting nothing is fine
        }
    }

    /// A token and its grant's tombstone in one lookup: the record counts as absent once the
    /// record its field names exists.
    @Test(arguments: Backend.allCases)
    func aRecordCountsAsAbsentOnceItsMarkerExists(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, _ in
            let marker = RecordMarker(field: "grantID", keyPrefix: "revoked-grant:")
            let token = Array(#"{"clientID":"c","grantID":"g-1_x","scope":["read"]}"#.utf8)
            let unnamed = Array(#"{"clientID":"c"}"#.utf8)
            try await store.put("token", token, ttl: 60)
            try await store.put("other", unnamed, ttl: 60)
            #expect(try await store.get("token", unlessMarkedBy: marker) == token)
            #expect(try await store.get("missing", unlessMarkedBy: marker) == nil)
            try await store.put("revoked-grant:g-2", [1], ttl: 60)
            #expect(try await store.get("token", unlessMarkedBy: marker) == token, "another grant's tombstone")
            try await store.put("revoked-grant:g-1_x", [1], ttl: 60)
            #expect(try await store.get("token", unlessMarkedBy: marker) == nil)
            #expect(try await store.get("token") == token, "the record itself is still there")
            #expect(try await store.get("other", unlessMarkedBy: marker) == unnamed, "a record that names no marker")
        }
    }

    @Test(arguments: Backend.allCases)
    func anIndexedPutLooksForItsMarkerAfterWriting(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, _ in
            #expect(try await !store.put("token-1", [1], ttl: 60, indexedIn: "grant:g", thenLookFor: "revoked:g"))
            #expect(try await store.get("token-1") == [1])
            #expect(try await store.members(ofIndex: "grant:g") == ["token-1"])

            try await store.put("revoked:g", [0], ttl: 60)
            #expect(try await store.put("token-2", [2], ttl: 60, indexedIn: "grant:g", thenLookFor: "revoked:g"), "the marker is seen")
            #expect(try await store.get("token-2") == [2], "written whatever the marker says")
            #expect(Set(try await store.members(ofIndex: "grant:g")) == ["token-1", "token-2"])

            // The look comes after the write: a marker stored under the record's own key is found.
            #expect(try await store.put("self", [3], ttl: 60, indexedIn: "grant:h", thenLookFor: "self"))
            // An expired marker is no marker.
            try await store.put("revoked:old", [0], ttl: 1)
            #expect(try await eventually(timeout: .seconds(5)) {
                try await !store.put("token-3", [4], ttl: 60, indexedIn: "grant:old", thenLookFor: "revoked:old")
            })
        }
    }

    @Test(arguments: Backend.allCases)
    func aBatchOfAuditRecordsIsWrittenInOrder(_ backend: Backend) async throws {
        try await Self.withStore(backend) { _, audit in
            let batch = (0..<700).map { AuditRecord(event: "grant", userID: "user-\($0)", detail: "it's \"quoted\"\n") }
            try await audit.append(contentsOf: batch)
            #expect(try await audit.recent(limit: 700) == Array(batch.reversed()))
        }
    }

    @Test(arguments: Backend.allCases)
    func groupCommitStoresEveryRecordOfConcurrentAppends(_ backend: Backend) async throws {
        try await Self.withStore(backend) { _, audit in
            let batched = GroupCommitAuditLog(audit, maximumBatch: 16)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask { try await batched.append(AuditRecord(event: "refresh", userID: "user-\(index)")) }
                }
                try await group.waitForAll()
            }
            // Every append returned only after its record was stored.
            let stored = try await audit.recent(limit: 500)
            #expect(Set(stored.compactMap(\.userID)) == Set((0..<200).map { "user-\($0)" }))
            #expect(stored.count == 200)
        }
    }

    /// `storage.audit.ttl`: records older than the retention go, newer ones stay, and two
    /// workers purging at once never remove a record that is still within it.
    @Test(arguments: Backend.allCases)
    func auditRecordsOlderThanTheRetentionArePurged(_ backend: Backend) async throws {
        try await Self.withStore(backend) { _, audit in
            let now = Date()
            let old = (0..<1_500).map { AuditRecord(at: now.addingTimeInterval(-7200 + Double($0) / 1000), event: "grant", userID: "old-\($0)") }
            let recent = (0..<50).map { AuditRecord(at: now.addingTimeInterval(-60 + Double($0)), event: "refresh", userID: "new-\($0)") }
            try await audit.append(contentsOf: old + recent)
            let cutoff = now.addingTimeInterval(-3600)
            let purged = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<2 { group.addTask { try await audit.purge(before: cutoff) } }
                return try await group.reduce(0, +)
            }
            #expect(purged == 1_500)
            #expect(try await audit.recent(limit: 5_000) == Array(recent.reversed()))
            #expect(try await audit.purge(before: cutoff) == 0)
        }
    }

    @Test(arguments: Backend.allCases)
    func auditRecordsAreAppendedAndReadBackNewestFirst(_ backend: Backend) async throws {
        try await Self.withStore(backend) { _, audit in
            let first = AuditRecord(event: "grant", userID: "alice", clientID: "test", scope: "read-only", tokenID: "abcd..wxyz")
            let second = AuditRecord(event: "refresh", userID: "alice", clientID: "test", detail: "rotated")
            let third = AuditRecord(event: "revoke", userID: "bob")
            for record in [first, second, third] { try await audit.append(record) }
            #expect(try await audit.recent(limit: 2) == [third, second])
            #expect(try await audit.recent(limit: 10) == [third, second, first])
        }
    }
}
