import Foundation

/// A client site as the clients file registers it (docs/operators.md, the clients file).
package struct RegisteredClient: Sendable, Equatable {
    /// Internal id that never changes.
    package let id: String
    /// Shown to users on the consent and review pages.
    package let name: String
    package let clientID: String
    /// Nil for a public client (a browser or native app that cannot keep a secret).
    package let secret: ClientSecret?
    package let allowCodeGrant: Bool
    package let allowImplicitGrant: Bool
    package let allowClientCredentialsGrant: Bool
    package let allowRefreshTokens: Bool
    package let requirePKCE: Bool
    /// Whether PKCE's "plain" method is accepted (RFC 7636 allows it only where S256 cannot be used).
    package let allowPlainPKCE: Bool
    /// Scopes this client may get. Nil: any scope a user grants it (the Node original's behaviour), and
    /// only the site's lowest scope on its own behalf (client credentials).
    package let allowedScopes: [String]?
    /// Whether this client (typically a resource server) may introspect tokens issued to other clients.
    package let allowIntrospection: Bool
    package let validRedirects: [String]
    /// How this client's ID tokens are signed (`id_token_signed_response_alg`; ES256 unless set).
    package var idTokenSigningAlgorithm: SigningAlgorithm = .default
    /// OpenID Connect Core 8: with `"subject_type": "pairwise"`, the host of the redirect URIs
    /// (the sector): the client's `sub` for a user is derived from it, so clients of different
    /// sectors cannot link their users. Nil: the public `sub`, the site's user id.
    package var pairwiseSector: String? = nil
    /// OpenID Connect RP-Initiated Logout: where the end-session endpoint may send the user
    /// back to, matched exactly (`post_logout_redirect_uris`).
    package var postLogoutRedirects: [String] = []
    /// `remember_consent`: a user who already granted this client what it asks for is not
    /// asked again (the Node original asks every time, the default).
    package var rememberConsent = false
    /// The access tokens it gets: random strings (the Node original's), or RFC 9068 JWTs (`access_token_format`).
    package enum AccessTokenFormat: String, Sendable { case opaque, jwt }
    package var accessTokenFormat = AccessTokenFormat.opaque

    package var isPublic: Bool { secret == nil }

    /// The Node original's "*": any redirect URI. Accepted for compatibility, with a warning at start.
    package var acceptsAnyRedirect: Bool { validRedirects.contains("*") }

    /// Exact, character-for-character match against a registered URI (RFC 9700 2.1): no prefix,
    /// case or normalisation games an attacker could use to send a code elsewhere.
    package func allowsRedirect(_ uri: String) -> Bool {
        acceptsAnyRedirect || validRedirects.contains(uri)
    }
}
