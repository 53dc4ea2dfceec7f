/// Tokens handed to a client for a grant.
public struct IssuedTokens: Sendable, Equatable {
    public let accessToken: String
    public let expiresIn: Int
    public let refreshToken: String?
    public let scope: [String]
    /// The grant they were issued for (nil for a client's own token), for the ID token.
    public var grant: Grant? = nil
    /// The authorization request's `nonce`, echoed in the ID token of a code exchange.
    public var nonce: String? = nil
    /// OpenID Connect: added when the grant has the `openid` scope.
    public var idToken: String? = nil
}
