import Crypto
import Foundation
import SharedPlatform

/// A compact JWS as a relying party reads it: header, claims, and whether an ES256 key of a
/// JWKS verifies its signature (RFC 7515, RFC 7518 3.4). Enough for the rotation test; the
/// client-library tests check the other algorithms with Authlib.
struct SignedJWT {
    /// The compact serialization, as issued.
    let raw: String
    let header: [String: Any]
    let claims: [String: Any]
    private let signingInput: [UInt8]
    private let signature: [UInt8]

    init?(_ token: String) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Base64URL.decode(parts[0]), let claims = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2]),
            let headerJSON = try? JSONSerialization.jsonObject(with: Data(header)) as? [String: Any],
            let claimsJSON = try? JSONSerialization.jsonObject(with: Data(claims)) as? [String: Any]
        else { return nil }
        self.raw = token
        self.header = headerJSON
        self.claims = claimsJSON
        self.signingInput = Array("\(parts[0]).\(parts[1])".utf8)
        self.signature = signature
    }

    var kid: String? { header["kid"] as? String }

    /// Whether the JWKS key named by the header's kid verifies the signature.
    func verifies(with jwks: [[String: Any]]) -> Bool {
        guard header["alg"] as? String == "ES256", let key = jwks.first(where: { $0["kid"] as? String == kid }),
            key["kty"] as? String == "EC", let x = (key["x"] as? String).flatMap(Base64URL.decode),
            let y = (key["y"] as? String).flatMap(Base64URL.decode),
            let publicKey = try? P256.Signing.PublicKey(x963Representation: [0x04] + x + y),
            let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signature)
        else { return false }
        return publicKey.isValidSignature(signature, for: signingInput)
    }
}
