import Foundation
import SharedStorage
import TestSupport
import Testing

/// `insert`, the storage contract's one conditional write, on every backend: of many workers
/// writing the same new record at once exactly one wins, a live record is never replaced, and
/// an expired one counts as absent.
struct InsertContractTests {
    @Test(arguments: TestBackend.allCases)
    func exactlyOneConcurrentInsertWinsAndALiveRecordStays(_ backend: TestBackend) async throws {
        try await StorageContractTests.withStore(backend) { store, _ in
            for round in 0..<3 {
                let winners = try await withThrowingTaskGroup(of: UInt8?.self) { group in
                    for writer in 0..<30 {
                        group.addTask { try await store.insert("keys-v\(round)", [UInt8(writer)], ttl: 0) ? UInt8(writer) : nil }
                    }
                    return try await group.reduce(into: [UInt8]()) { if let winner = $1 { $0.append(winner) } }
                }
                #expect(winners.count == 1, "round \(round): \(winners.count) inserts won")
                #expect(try await store.get("keys-v\(round)") == winners, "the winner's value is the one stored")
                #expect(try await store.insert("keys-v\(round)", [99], ttl: 0) == false)
                #expect(try await store.get("keys-v\(round)") == winners)
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func anExpiredRecordCountsAsAbsent(_ backend: TestBackend) async throws {
        try await StorageContractTests.withStore(backend) { store, _ in
            #expect(try await store.insert("short", [1], ttl: 1))
            #expect(try await store.insert("short", [2], ttl: 1) == false)
            try await Task.sleep(for: .milliseconds(2200))
            #expect(try await store.insert("short", [3], ttl: 0), "an expired record is replaced")
            #expect(try await store.get("short") == [3])
        }
    }
}
