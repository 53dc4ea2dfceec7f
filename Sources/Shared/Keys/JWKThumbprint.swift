import Crypto
import SharedPlatform

/// RFC 7638: the SHA-256 of a public JWK's required members, in lexicographic order without
/// whitespace, base64url-encoded. Used as the key id, so a kid names exactly one public key.
package enum JWKThumbprint {
    /// The members RFC 7638 3.2 requires for each key type.
    static let requiredMembers = ["EC": ["crv", "kty", "x", "y"], "OKP": ["crv", "kty", "x"], "RSA": ["e", "kty", "n"]]

    package static func of(_ jwk: [String: String]) -> String? {
        guard let kty = jwk["kty"], let members = requiredMembers[kty] else { return nil }
        var json = "{"
        for (position, name) in members.enumerated() {
            // The members are base64url strings and short names: nothing to escape.
            guard let value = jwk[name] else { return nil }
            json += "\(position == 0 ? "" : ",")\"\(name)\":\"\(value)\""
        }
        json += "}"
        return Base64URL.encode(SHA256.hash(data: Array(json.utf8)))
    }
}
