import Crypto
import Foundation
import SharedPlatform

/// Seals private signing keys for storage (AES-GCM) under a key derived with HKDF from
/// `auth_server.keys_secret`, so a copy of the store or a backup alone cannot sign tokens. The
/// key id is authenticated with each sealed key: a sealed key copied under another id does not open.
package struct KeySealer: Sendable {
    private let key: SymmetricKey

    package init(secret: String) {
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Array(secret.utf8)), info: Array("oauth2-server signing keys v1".utf8),
            outputByteCount: 32)
    }

    package func seal(_ privateKey: [UInt8], kid: String) throws -> String {
        let box = try AES.GCM.seal(privateKey, using: key, authenticating: Array(kid.utf8))
        guard let combined = box.combined else { throw CryptoKitError.incorrectParameterSize }
        return Base64URL.encode(Array(combined))
    }

    /// The private key, or nil when it was sealed under another secret (or altered).
    package func open(_ sealed: String, kid: String) -> [UInt8]? {
        guard let bytes = Base64URL.decode(sealed), let box = try? AES.GCM.SealedBox(combined: bytes),
            let plain = try? AES.GCM.open(box, using: key, authenticating: Array(kid.utf8))
        else { return nil }
        return Array(plain)
    }
}
