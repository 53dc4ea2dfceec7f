import Crypto
import SharedPlatform

/// Signs session ids for the `sid` cookie and checks what a browser sends back: the cookie
/// value is `<id>.<HMAC-SHA256 of the id>` (URL-safe base64), keyed by `auth_server.session_secret`,
/// so a forged or altered cookie is refused before any lookup.
package struct SessionIDSigner: Sendable {
    private let key: SymmetricKey

    package init(secret: String) {
        key = SymmetricKey(data: SHA256.hash(data: Array(secret.utf8)))
    }

    /// The cookie value for `id` (a URL-safe base64 id, which holds no `.`).
    package func cookieValue(for id: String) -> String { "\(id).\(mac(id))" }

    /// The id a cookie value was signed for, or nil when it was not signed with this key.
    package func verifiedID(_ value: String) -> String? {
        // Empty parts kept: "id..mac" or ".id.mac" is not the value signed for the id.
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let mac = Base64URL.decode(parts[1]) else { return nil }
        let id = String(parts[0])
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Array(id.utf8), using: key) ? id : nil
    }

    private func mac(_ id: String) -> String {
        Base64URL.encode(Array(HMAC<SHA256>.authenticationCode(for: Array(id.utf8), using: key)))
    }
}
