import Crypto
import SharedPlatform

/// The `sub` a client sees for a user (OpenID Connect Core 1.0, 8): the site's user id, or for a
/// pairwise client an HMAC of its sector and the user id under a key derived from the keys
/// secret, so it is stable (on every host) and cannot be linked across sectors without the secret.
struct SubjectIdentifiers: Sendable {
    private let key: SymmetricKey

    init(secret: String) {
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Array(secret.utf8)), info: Array("oauth2-server pairwise subjects v1".utf8),
            outputByteCount: 32)
    }

    func subject(of userID: String, for client: RegisteredClient) -> String {
        guard let sector = client.pairwiseSector else { return userID }
        // Length-prefixed, so no sector and user id pair reads as another.
        let input = Array("\(sector.utf8.count):\(sector)|\(userID)".utf8)
        return Base64URL.encode(HMAC<SHA256>.authenticationCode(for: input, using: key))
    }
}
