import Foundation
import SharedKeys
import SharedPlatform
import TestSupport
import Testing

/// The signing keys' pure parts (thumbprints, sealing, the staged rotation) and their store
/// on every backend, with many writers at once.
struct SigningKeyTests {
    @Test func thumbprintIsRFC7638sExample() {
        // RFC 7638 3.1.
        let jwk = [
            "kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        ]
        #expect(JWKThumbprint.of(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        #expect(JWKThumbprint.of(["kty": "EC", "crv": "P-256", "x": "a"]) == nil, "a member is missing")
    }

    @Test func sealedKeysOpenOnlyWithTheirSecretAndKid() throws {
        let sealer = KeySealer(secret: "one secret")
        let sealed = try sealer.seal([1, 2, 3], kid: "k1")
        #expect(!sealed.contains("AQID"), "stored sealed, not in clear")
        #expect(sealer.open(sealed, kid: "k1") == [1, 2, 3])
        #expect(sealer.open(sealed, kid: "k2") == nil, "a sealed key copied under another kid does not open")
        #expect(KeySealer(secret: "another secret").open(sealed, kid: "k1") == nil)
    }

    @Test(arguments: SigningAlgorithm.allCases)
    func newKeysAreNamedByTheirThumbprintAndPublishOnlyPublicMembers(_ algorithm: SigningAlgorithm) throws {
        let key = try SigningKeyFactory(sealer: KeySealer(secret: "s")).make(algorithm, state: .current, now: 0)
        #expect(key.kid == JWKThumbprint.of(key.publicJWK))
        #expect(key.publishedJWK["alg"] == algorithm.rawValue && key.publishedJWK["use"] == "sig" && key.publishedJWK["kid"] == key.kid)
        #expect(Set(key.publishedJWK.keys).isDisjoint(with: ["d", "p", "q", "dp", "dq", "qi"]))
    }

    static func fakeKey(_ algorithm: SigningAlgorithm, _ state: SigningKey.State, _ now: Int64, number: Int) -> SigningKey {
        SigningKey(kid: "\(algorithm.rawValue)-\(number)", algorithm: algorithm, state: state, since: now, publicJWK: [:], sealedPrivateKey: "")
    }

    @Test func rotationPublishesAheadPromotesAfterStagingAndRetiresUntilTokensExpire() throws {
        var made = 0
        func make(_ algorithm: SigningAlgorithm, _ state: SigningKey.State, at now: Int64) -> SigningKey {
            made += 1
            return Self.fakeKey(algorithm, state, now, number: made)
        }
        let first = try #require(SigningKeySet.empty.ensuring([.es256], now: 0) { make($0, $1, at: 0) })
        #expect(first.version == 1 && first.current(.es256)?.kid == "ES256-1")
        #expect(first.ensuring([.es256], now: 5) { make($0, $1, at: 5) } == nil, "nothing missing, nothing written")

        // 1. A next key, published, not signing.
        let staged = try first.rotated([.es256], now: 1000, staging: 600, retention: 300) { make($0, $1, at: 1000) }
        #expect(staged.current(.es256)?.kid == "ES256-1")
        #expect(staged.keys.map(\.kid) == ["ES256-1", "ES256-2"] && staged.keys[1].state == .next)
        // Too soon: relying parties may not have the next key yet.
        do {
            _ = try staged.rotated([.es256], now: 1500, staging: 600, retention: 300) { make($0, $1, at: 1500) }
            Issue.record("a next key published 500 ms ago was promoted with a 600 ms staging time")
        } catch {
            #expect(error is RotationTooSoon)
        }

        // 2. Promoted; the old key retires and is published until its tokens expire.
        let promoted = try staged.rotated([.es256], now: 1600, staging: 600, retention: 300) { make($0, $1, at: 1600) }
        #expect(promoted.current(.es256)?.kid == "ES256-2")
        #expect(promoted.keys.first { $0.kid == "ES256-1" }?.state == .retired)
        #expect(promoted.published(now: 1899, retention: 300).contains { $0.kid == "ES256-1" })
        #expect(!promoted.published(now: 1900, retention: 300).contains { $0.kid == "ES256-1" })

        // 3. Long retired keys are dropped at the next rotation.
        let third = try promoted.rotated([.es256], now: 2300, staging: 600, retention: 300) { make($0, $1, at: 2300) }
        #expect(!third.keys.contains { $0.kid == "ES256-1" })
        #expect(third.current(.es256)?.kid != "ES256-2" && third.version == 4)
    }

    @Test(arguments: TestBackend.allCases)
    func workersCreatingKeysAtOnceAgreeOnOneSet(_ backend: TestBackend) async throws {
        try await backend.withStores(["keys"]) { stores, _ in
            let sealer = KeySealer(secret: "shared")
            let sets = try await withThrowingTaskGroup(of: SigningKeySet.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await SigningKeyStore(store: stores["keys"]!, sealer: sealer).ensure([.es256, .edDSA]) }
                }
                return try await group.reduce(into: [SigningKeySet]()) { $0.append($1) }
            }
            #expect(Set(sets.map(\.version)) == [1], "one version written, everyone got it")
            #expect(Set(sets.compactMap { $0.current(.es256)?.kid }).count == 1)
            let store = SigningKeyStore(store: stores["keys"]!, sealer: sealer)
            // Concurrent rotations: each lands on top of the other, none is lost.
            let rotated = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<2 { group.addTask { try await store.rotate([.es256], staging: 0, retention: 1000).version } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(rotated.sorted() == [2, 3])
            let latest = try await store.latest()
            #expect(latest.version == 3 && latest.keys.filter { $0.state == .next && $0.algorithm == .es256 }.count == 1)
        }
    }
}
