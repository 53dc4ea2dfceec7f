/// Tokens handed to a client for a grant.
package struct IssuedTokens: Sendable, Equatable {
    package let accessToken: String
    package let expiresIn: Int
    package let refreshToken: String?
    package let scope: [String]
    /// The grant they were issued for (nil for a client's own token), for the ID token.
    package var grant: Grant? = nil
    /// The authorization request's `nonce`, echoed in the ID token of a code exchange.
    package var nonce: String? = nil
    /// OpenID Connect: added when the grant has the `openid` scope.
    package var idToken: String? = nil
}
