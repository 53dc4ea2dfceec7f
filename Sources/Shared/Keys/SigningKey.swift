import SharedPlatform

/// One signing key as the `keys` storage group keeps it: its public JWK in clear (for the
/// JWKS), its private key sealed (`KeySealer`), and where it is in its life.
package struct SigningKey: Codable, Sendable, Equatable {
    /// A key's life: published ahead as `next` (in the JWKS, not signing) so relying parties
    /// fetch it before it signs; `current` signs; `retired` no longer signs but stays published
    /// until every token it signed has expired.
    package enum State: String, Codable, Sendable {
        case next, current, retired
    }

    /// The RFC 7638 thumbprint of the public key.
    package let kid: String
    package let algorithm: SigningAlgorithm
    package var state: State
    /// Unix milliseconds at which the key entered its state.
    package var since: Int64
    /// The public JWK members (kty, crv, x, y, n, e), without kid, alg and use.
    package let publicJWK: [String: String]
    /// The private key, sealed by `KeySealer` under the key id.
    package let sealedPrivateKey: String

    package init(kid: String, algorithm: SigningAlgorithm, state: State, since: Int64, publicJWK: [String: String], sealedPrivateKey: String) {
        self.kid = kid
        self.algorithm = algorithm
        self.state = state
        self.since = since
        self.publicJWK = publicJWK
        self.sealedPrivateKey = sealedPrivateKey
    }

    /// The JWK as the JWKS publishes it (RFC 7517 4): the public members, kid, alg and use.
    package var publishedJWK: [String: String] {
        publicJWK.merging(["kid": kid, "alg": algorithm.rawValue, "use": "sig"]) { _, new in new }
    }
}
