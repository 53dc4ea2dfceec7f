import Foundation

/// A client site as the clients file registers it (seed section 7.3).
public struct RegisteredClient: Sendable, Equatable {
    /// Internal id that never changes.
    public let id: String
    /// Shown to users on the consent and review pages.
    public let name: String
    public let clientID: String
    /// Nil for a public client (a browser or native app that cannot keep a secret).
    public let secret: ClientSecret?
    public let allowCodeGrant: Bool
    public let allowImplicitGrant: Bool
    public let allowClientCredentialsGrant: Bool
    public let allowRefreshTokens: Bool
    public let requirePKCE: Bool
    /// Whether PKCE's "plain" method is accepted (RFC 7636 allows it only where S256 cannot be used).
    public let allowPlainPKCE: Bool
    /// Scopes this client may get. Nil: any scope a user grants it (the seed's behaviour), and
    /// only the site's lowest scope on its own behalf (client credentials).
    public let allowedScopes: [String]?
    /// Whether this client (typically a resource server) may introspect tokens issued to other clients.
    public let allowIntrospection: Bool
    public let validRedirects: [String]
    /// How this client's ID tokens are signed (`id_token_signed_response_alg`; ES256 unless set).
    public var idTokenSigningAlgorithm: SigningAlgorithm = .default
    /// OpenID Connect Core 8: with `"subject_type": "pairwise"`, the host of the redirect URIs
    /// (the sector): the client's `sub` for a user is derived from it, so clients of different
    /// sectors cannot link their users. Nil: the public `sub`, the site's user id.
    public var pairwiseSector: String? = nil
    /// OpenID Connect RP-Initiated Logout: where the end-session endpoint may send the user
    /// back to, matched exactly (`post_logout_redirect_uris`).
    public var postLogoutRedirects: [String] = []
    /// `remember_consent`: a user who already granted this client what it asks for is not
    /// asked again (the seed asks every time, the default).
    public var rememberConsent = false
    /// The access tokens it gets: random strings (the seed's), or RFC 9068 JWTs (`access_token_format`).
    public enum AccessTokenFormat: String, Sendable { case opaque, jwt }
    public var accessTokenFormat = AccessTokenFormat.opaque

    public var isPublic: Bool { secret == nil }

    /// The seed's "*": any redirect URI. Accepted for compatibility, with a warning at start.
    public var acceptsAnyRedirect: Bool { validRedirects.contains("*") }

    /// Exact, character-for-character match against a registered URI (RFC 9700 2.1): no prefix,
    /// case or normalisation games an attacker could use to send a code elsewhere.
    public func allowsRedirect(_ uri: String) -> Bool {
        acceptsAnyRedirect || validRedirects.contains(uri)
    }
}
