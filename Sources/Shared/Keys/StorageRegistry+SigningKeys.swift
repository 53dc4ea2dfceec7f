import SharedPlatform
import SharedStorage

extension StorageRegistry {
    /// The signing keys, sealed under `auth_server.keys_secret` (or the session secret).
    package func signingKeys(_ config: AuthServerConfig) -> SigningKeyStore {
        SigningKeyStore(store: store(.keys), sealer: KeySealer(secret: config.signingKeysSecret))
    }
}
