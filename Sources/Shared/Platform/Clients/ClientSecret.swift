import Crypto
import Foundation

/// How a client's secret is kept in the clients file: never in clear, compared in constant time.
package enum ClientSecret: Sendable, Equatable {
    /// The Node original's format, kept so existing files work unchanged:
    /// `client_secret` = hex SHA-1 of `client_id:secret:client_salt`.
    case legacySHA1(digest: [UInt8], salt: String)
    /// What `oauth2-server hash-secret` writes: `hmac-sha256$<salt>$<mac>` (base64url), the MAC
    /// of `client_id:secret` keyed by a random salt. Secrets are long random strings, so one
    /// HMAC per check is safe and keeps the token endpoint fast; a slow password hash would not
    /// add strength here and would cap throughput.
    case hmacSHA256(salt: [UInt8], mac: [UInt8])

    package static let modernPrefix = "hmac-sha256$"

    /// Parses the stored form; nil when it is neither format.
    package init?(stored: String, salt: String?) {
        if stored.hasPrefix(Self.modernPrefix) {
            let parts = stored.dropFirst(Self.modernPrefix.count).split(separator: "$")
            guard parts.count == 2, let salt = Base64URL.decode(parts[0]), let mac = Base64URL.decode(parts[1]),
                salt.count >= 16, mac.count == 32
            else { return nil }
            self = .hmacSHA256(salt: salt, mac: mac)
        } else if let salt, stored.count == 40, let digest = Hex.decode(stored) {
            self = .legacySHA1(digest: digest, salt: salt)
        } else {
            return nil
        }
    }

    /// Hashes a new secret in the modern format, with a fresh random salt.
    package static func hash(secret: String, clientID: String) -> ClientSecret {
        let salt = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(clientID):\(secret)".utf8), using: SymmetricKey(data: salt))
        return .hmacSHA256(salt: salt, mac: Array(mac))
    }

    /// The text for the clients file.
    package var stored: String {
        switch self {
        case .legacySHA1(let digest, _): Hex.encode(digest)
        case .hmacSHA256(let salt, let mac): "\(Self.modernPrefix)\(Base64URL.encode(salt))$\(Base64URL.encode(mac))"
        }
    }

    /// Whether `secret` is this client's secret, in time that does not depend on where they differ.
    package func verify(_ secret: String, clientID: String) -> Bool {
        switch self {
        case .legacySHA1(let digest, let salt):
            // Digest equality in swift-crypto is constant-time.
            return Insecure.SHA1.hash(data: Array("\(clientID):\(secret):\(salt)".utf8)) == digest
        case .hmacSHA256(let salt, let mac):
            return HMAC<SHA256>.isValidAuthenticationCode(
                mac, authenticating: Array("\(clientID):\(secret)".utf8), using: SymmetricKey(data: salt))
        }
    }
}
