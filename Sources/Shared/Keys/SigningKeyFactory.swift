import Crypto
import CryptoExtras
import Foundation
import SharedPlatform

/// Makes new signing keys: a fresh private key of the algorithm, its public JWK and its kid,
/// sealed for storage.
package struct SigningKeyFactory: Sendable {
    let sealer: KeySealer

    package init(sealer: KeySealer) { self.sealer = sealer }

    package func make(_ algorithm: SigningAlgorithm, state: SigningKey.State, now: Int64) throws -> SigningKey {
        let (privateKey, jwk) = try Self.generate(algorithm)
        guard let kid = JWKThumbprint.of(jwk) else { preconditionFailure("a generated \(algorithm) key has no thumbprint") }
        return SigningKey(
            kid: kid, algorithm: algorithm, state: state, since: now, publicJWK: jwk,
            sealedPrivateKey: try sealer.seal(privateKey, kid: kid))
    }

    /// The private key's bytes (raw scalar for ES256 and EdDSA, PKCS #1 DER for RS256) and the
    /// public JWK (RFC 7518 6.2 and 6.3, RFC 8037 2).
    static func generate(_ algorithm: SigningAlgorithm) throws -> ([UInt8], [String: String]) {
        switch algorithm {
        case .es256:
            let key = P256.Signing.PrivateKey()
            let point = Array(key.publicKey.x963Representation)  // 0x04 || X || Y
            return (Array(key.rawRepresentation), [
                "kty": "EC", "crv": "P-256", "x": Base64URL.encode(point[1...32]), "y": Base64URL.encode(point[33...64]),
            ])
        case .edDSA:
            let key = Curve25519.Signing.PrivateKey()
            return (Array(key.rawRepresentation), ["kty": "OKP", "crv": "Ed25519", "x": Base64URL.encode(key.publicKey.rawRepresentation)])
        case .rs256:
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            let primitives = try key.publicKey.getKeyPrimitives()
            return (Array(key.derRepresentation), [
                "kty": "RSA", "n": Base64URL.encode(primitives.modulus), "e": Base64URL.encode(primitives.publicExponent),
            ])
        }
    }
}
