import SharedPlatform

/// Every signing key at one moment, as one stored version: what signs, what is published
/// ahead, what is still published for tokens it signed. Changes make a new version
/// (`SigningKeyStore`); these functions say what the next version holds.
package struct SigningKeySet: Codable, Sendable, Equatable {
    /// Counts up from 1 with every change; workers rebuild their signers when it moves.
    package let version: Int
    package let keys: [SigningKey]

    package init(version: Int, keys: [SigningKey]) {
        self.version = version
        self.keys = keys
    }

    package static let empty = SigningKeySet(version: 0, keys: [])

    /// The key that signs with `algorithm`.
    package func current(_ algorithm: SigningAlgorithm) -> SigningKey? {
        keys.last { $0.algorithm == algorithm && $0.state == .current }
    }

    /// The keys the JWKS lists at `now`: current and next keys, and retired keys until
    /// `retention` milliseconds after they stopped signing (the longest a token they signed lives).
    package func published(now: Int64, retention: Int64) -> [SigningKey] {
        keys.filter { $0.state != .retired || now < $0.since + retention }
    }

    /// The next version with a current key for every algorithm in `algorithms`, or nil when
    /// every one has its key already.
    package func ensuring(_ algorithms: Set<SigningAlgorithm>, now: Int64, make: (SigningAlgorithm, SigningKey.State) throws -> SigningKey) rethrows -> SigningKeySet? {
        let missing = algorithms.filter { current($0) == nil }.sorted()
        guard !missing.isEmpty else { return nil }
        return SigningKeySet(version: version + 1, keys: try keys + missing.map { try make($0, .current) })
    }

    /// A staged rotation, for every algorithm in `algorithms`: the next key (if one has been
    /// published for at least `staging` milliseconds) starts signing and the current one retires;
    /// a new next key is published. Retired keys past their `retention` are dropped.
    package func rotated(
        _ algorithms: Set<SigningAlgorithm>, now: Int64, staging: Int64, retention: Int64,
        make: (SigningAlgorithm, SigningKey.State) throws -> SigningKey
    ) throws -> SigningKeySet {
        var keys = published(now: now, retention: retention)
        for algorithm in algorithms.sorted() {
            if let next = keys.firstIndex(where: { $0.algorithm == algorithm && $0.state == .next }) {
                let age = now - keys[next].since
                guard age >= staging else { throw RotationTooSoon(algorithm: algorithm, waitMilliseconds: staging - age) }
                for index in keys.indices where keys[index].algorithm == algorithm && keys[index].state == .current {
                    keys[index].state = .retired
                    keys[index].since = now
                }
                keys[next].state = .current
                keys[next].since = now
            } else if !keys.contains(where: { $0.algorithm == algorithm && $0.state == .current }) {
                keys.append(try make(algorithm, .current))
            }
            keys.append(try make(algorithm, .next))
        }
        return SigningKeySet(version: version + 1, keys: keys)
    }
}

/// A next key has not been published long enough for relying parties to have fetched it.
package struct RotationTooSoon: Error, CustomStringConvertible {
    package let algorithm: SigningAlgorithm
    package let waitMilliseconds: Int64

    package var description: String {
        "the next \(algorithm.rawValue) key was published less than auth_server.key_staging_seconds ago: relying parties may not have fetched it yet; try again in \((waitMilliseconds + 999) / 1000) s"
    }
}
