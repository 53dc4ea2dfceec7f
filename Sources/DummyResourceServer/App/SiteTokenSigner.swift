import Crypto
import Foundation
import SharedPlatform

/// Issues and checks the stub website's login tokens without storing them:
/// `base64url(username) "." hex(HMAC-SHA256(key, username))`. A restart with the same secret
/// keeps every token valid; tokens never expire (this is a stub).
package struct SiteTokenSigner: Sendable {
    /// The secret used when none is given: fine for demos and tests, forgeable by anyone with the source.
    package static let developmentSecret = "dummy-resource-server development secret (stub, do not deploy)"

    private let key: SymmetricKey

    /// Derives the signing key from `secret` once.
    package init(secret: String) {
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(secret.utf8)),
            info: Data("dummy-resource-server site token v1".utf8),
            outputByteCount: 32
        )
    }

    func issue(for username: String) -> String {
        let name = Data(username.utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: name, using: key)
        return Base64URL.encode(name) + "." + Hex.encode(mac)
    }

    /// The username `token` was issued for, or nil when it was not issued with this key.
    /// The signature is compared in constant time.
    func username(in token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let name = Base64URL.decode(parts[0]).map({ Data($0) }), let mac = Hex.decode(parts[1]),
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: name, using: key)
        else { return nil }
        return String(data: name, encoding: .utf8)
    }
}
