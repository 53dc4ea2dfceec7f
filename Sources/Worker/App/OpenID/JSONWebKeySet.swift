import SharedKeys

/// The RFC 7517 (5) document at /jwks: `{"keys": [...]}`, each published key's public JWK.
struct JSONWebKeySet: Encodable {
    let keys: [[String: String]]

    init(_ published: [SigningKey]) {
        keys = published.map(\.publishedJWK)
    }
}
