import Crypto
import CryptoExtras
import Foundation
import JWTKit
import Logging
import SharedKeys
import SharedPlatform
import SharedStorage
import Synchronization

/// The signing keys as this worker uses them: the stored key set (`SigningKeyStore`), opened
/// once per version into a jwt-kit key collection, and the JWKS body, rendered once per look.
/// A worker looks for a changed set every `auth_server.key_staging_seconds / 4` (at most a
/// minute) and at once when the supervisor reloads it (SIGHUP); on its first look it creates the
/// keys of every algorithm in use that has none, race-free across workers and hosts.
final class KeyRing: Sendable {
    /// One version of the keys, ready to sign and to publish.
    struct Snapshot: Sendable {
        let set: SigningKeySet
        let collection: JWTKeyCollection
        /// The kids whose private key opened here (a key sealed under another secret does not).
        let usable: Set<String>
        /// The JWKS document's bytes.
        let jwks: [UInt8]
    }

    private let store: SigningKeyStore
    private let sealer: KeySealer
    /// The clients file as last read: which algorithms are in use, and how long tokens live.
    private let clients: @Sendable () -> ClientRegistry
    private let config: ServerConfig
    let refreshInterval: Duration
    private let logger: Logger
    private let snapshot = Mutex<Snapshot?>(nil)
    private let wakeUps: AsyncStream<Void>
    private let wakeUpContinuation: AsyncStream<Void>.Continuation

    init(store: SigningKeyStore, config: ServerConfig, clients: @escaping @Sendable () -> ClientRegistry, logger: Logger) {
        self.store = store
        self.sealer = KeySealer(secret: config.authServer.signingKeysSecret)
        self.clients = clients
        self.config = config
        self.refreshInterval = .seconds(config.authServer.keyRefreshSeconds)
        self.logger = logger
        (wakeUps, wakeUpContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// The keys as last loaded; loads them if this worker has not yet.
    func current() async throws -> Snapshot {
        if let loaded = snapshot.withLock({ $0 }) { return loaded }
        return try await refresh()
    }

    /// Signs `payload` with the current key of `algorithm`; `type` is the header's `typ`.
    func sign(_ payload: some JWTPayload, with algorithm: SigningAlgorithm, type: String = "JWT") async throws -> String {
        var keys = try await current()
        // An algorithm a client started to use since the last look (the clients file was
        // reloaded): look now, which makes its key.
        if keys.set.current(algorithm) == nil { keys = try await refresh() }
        guard let key = keys.set.current(algorithm), keys.usable.contains(key.kid) else {
            throw SigningKeyUnavailable(algorithm: algorithm)
        }
        var header = JWTHeader()
        header.typ = type
        header.kid = key.kid
        return try await keys.collection.sign(payload, kid: JWKIdentifier(string: key.kid), header: header)
    }

    /// The claims of a token signed by one of the keys (any state), or nil.
    func verified<Claims: JWTPayload>(_ token: String, as type: Claims.Type) async -> Claims? {
        guard let keys = try? await current() else { return nil }
        return try? await keys.collection.verify(token, as: type)
    }

    /// Looks at the store now (the supervisor reloaded this worker).
    func wakeUp() { wakeUpContinuation.yield() }

    /// Reloads the keys every `refreshInterval` and whenever woken, until cancelled. Called once.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [wakeUpContinuation, refreshInterval] in
                while (try? await Task.sleep(for: refreshInterval)) != nil { wakeUpContinuation.yield() }
                wakeUpContinuation.finish()
            }
            await refreshLogging()
            // Ends when the task is cancelled (the timer above then finishes the stream too).
            for await _ in wakeUps { await refreshLogging() }
            group.cancelAll()
        }
    }

    private func refreshLogging() async {
        do {
            _ = try await refresh()
        } catch is StorageUnavailable {
            // The outage monitor has said so, once; the next look tries again.
            logger.debug("the signing keys cannot be read while storage is unavailable")
        } catch {
            logger.error("cannot load the signing keys (storage group keys): \(error)")
        }
    }

    /// Reads the newest key set (creating missing keys), and rebuilds what changed.
    @discardableResult
    func refresh() async throws -> Snapshot {
        let registry = clients()
        let set = try await store.ensure(registry.signingAlgorithms)
        let previous = snapshot.withLock { $0 }
        let collection: JWTKeyCollection
        let usable: Set<String>
        if let previous, previous.set == set {
            (collection, usable) = (previous.collection, previous.usable)
        } else {
            (collection, usable) = await open(set)
            logger.info("signing keys version \(set.version): signing with \(set.keys.filter { $0.state == .current }.map(\.kid).joined(separator: ", "))")
        }
        let now = Date().storageMilliseconds
        let retention = Int64(config.retiredKeyRetentionSeconds(clients: registry)) * 1000
        let loaded = Snapshot(set: set, collection: collection, usable: usable, jwks: JSONDocument.bytes(JSONWebKeySet(set.published(now: now, retention: retention)), slashes: .unescaped))
        snapshot.withLock { current in
            // A slower, older look never replaces a newer one.
            if (current?.set.version ?? 0) <= set.version { current = loaded }
        }
        return loaded
    }

    /// Opens every key's private half into a collection.
    private func open(_ set: SigningKeySet) async -> (JWTKeyCollection, Set<String>) {
        let collection = JWTKeyCollection()
        var usable: Set<String> = []
        for key in set.keys {
            guard let privateKey = sealer.open(key.sealedPrivateKey, kid: key.kid) else {
                logger.error("signing key \(key.kid) (\(key.algorithm.rawValue)) does not open with auth_server.keys_secret (or session_secret): was the secret changed?")
                continue
            }
            do {
                let kid = JWKIdentifier(string: key.kid)
                switch key.algorithm {
                case .es256:
                    await collection.add(ecdsa: try ES256PrivateKey(backing: P256.Signing.PrivateKey(rawRepresentation: privateKey)), kid: kid)
                case .edDSA:
                    await collection.add(eddsa: EdDSA.PrivateKey(backing: try Curve25519.Signing.PrivateKey(rawRepresentation: privateKey)), kid: kid)
                case .rs256:
                    await collection.add(
                        rsa: try Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(derRepresentation: privateKey)),
                        digestAlgorithm: .sha256, kid: kid)
                }
                usable.insert(key.kid)
            } catch {
                logger.error("signing key \(key.kid) (\(key.algorithm.rawValue)) is unusable: \(error)")
            }
        }
        return (collection, usable)
    }
}

/// No usable key signs with the algorithm (the store is unreadable, or the key does not open).
struct SigningKeyUnavailable: Error, CustomStringConvertible {
    let algorithm: SigningAlgorithm
    var description: String { "no usable \(algorithm.rawValue) signing key" }
}
