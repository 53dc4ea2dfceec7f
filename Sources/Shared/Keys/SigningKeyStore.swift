import Foundation
import SharedPlatform
import SharedStorage

/// The signing keys in the `keys` storage group, shared by every worker and host that uses the
/// store. Each change writes a new, never-replaced version (`keyset:v<N>`) with the store's
/// atomic `insert`: of two workers or hosts changing the keys at once, one writes version N and
/// the other reads it and tries again on top of it, so keys are never created twice or lost.
/// `keyset:latest` is only a hint where to start looking; the newest version is the highest
/// one stored. Old versions stay (a few kilobytes each; keys change a few times a year), so a
/// lagging hint always leads to the newest.
package struct SigningKeyStore: Sendable {
    let store: any RecordStore
    let factory: SigningKeyFactory
    package init(store: any RecordStore, sealer: KeySealer) {
        self.store = store
        self.factory = SigningKeyFactory(sealer: sealer)
    }

    /// The newest version (`.empty` when no key was ever made).
    package func latest() async throws -> SigningKeySet {
        let hinted = try await store.get(Self.latestKey).flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
        var found = SigningKeySet.empty
        if hinted > 0, let set = try await version(hinted) { found = set }
        // The hint may lag (a writer stopped between its two writes): look past it.
        while let newer = try await version(found.version + 1) { found = newer }
        return found
    }

    /// The newest version, after making a signing key for each algorithm in `algorithms`
    /// that has none (on first start, or when a client first asks for an algorithm).
    package func ensure(_ algorithms: Set<SigningAlgorithm>) async throws -> SigningKeySet {
        try await change { set, now in try set.ensuring(algorithms, now: now, make: { try factory.make($0, state: $1, now: now) }) }
    }

    /// One staged rotation step (see `SigningKeySet.rotated`); the new version.
    package func rotate(_ algorithms: Set<SigningAlgorithm>, staging: Int64, retention: Int64) async throws -> SigningKeySet {
        try await change { set, now in
            try set.rotated(algorithms, now: now, staging: staging, retention: retention, make: { try factory.make($0, state: $1, now: now) })
        }
    }

    /// Applies `update` to the newest version and stores the result as the next one; when
    /// another writer stored that version first, applies it again on top of theirs.
    private func change(_ update: (SigningKeySet, Int64) throws -> SigningKeySet?) async throws -> SigningKeySet {
        var set = try await latest()
        for _ in 0..<20 {
            guard let next = try update(set, Date().storageMilliseconds) else { return set }
            if try await store.insert(Self.versionKey(next.version), RecordCoding.encode(next), ttl: 0) {
                try await store.put(Self.latestKey, Array(String(next.version).utf8), ttl: 0)
                return next
            }
            while let newer = try await version(set.version + 1) { set = newer }
        }
        throw KeyStoreContention()
    }

    /// Deletes every version: the next look creates new keys. Only for tests that share a store.
    package func forgetAll() async throws {
        let newest = try await latest().version
        for number in stride(from: newest, through: 1, by: -1) { try await store.delete(Self.versionKey(number)) }
        try await store.delete(Self.latestKey)
    }

    private func version(_ number: Int) async throws -> SigningKeySet? {
        try await store.get(Self.versionKey(number)).flatMap { RecordCoding.decode(SigningKeySet.self, $0) }
    }

    static let latestKey = "keyset:latest"
    static func versionKey(_ number: Int) -> String { "keyset:v\(number)" }
}

/// Twenty writers in a row changed the keys first: something is wrong with the store.
package struct KeyStoreContention: Error, CustomStringConvertible {
    package var description: String { "the signing keys kept changing while this process tried to change them" }
}
