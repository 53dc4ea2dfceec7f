/// Tokens handed to a client for a grant.
public struct IssuedTokens: Sendable, Equatable {
    public let accessToken: String
    public let expiresIn: Int
    public let refreshToken: String?
    public let scope: [String]
}
