/// The JWS algorithms ID tokens (and JWT access tokens) are signed with (RFC 7518, RFC 8037).
/// ES256 is the default; a client may ask for another with `id_token_signed_response_alg`.
package enum SigningAlgorithm: String, Codable, Sendable, CaseIterable, Comparable {
    case es256 = "ES256"
    case rs256 = "RS256"
    case edDSA = "EdDSA"

    package static let `default` = SigningAlgorithm.es256

    package static func < (lhs: SigningAlgorithm, rhs: SigningAlgorithm) -> Bool { lhs.rawValue < rhs.rawValue }
}
