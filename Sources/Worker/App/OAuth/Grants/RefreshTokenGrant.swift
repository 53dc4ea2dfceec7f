import SharedPlatform

/// `refresh_token` (RFC 6749 6): one use, rotated into a new pair; an optional `scope` may only
/// narrow what the user granted. A grant with `openid` gets a new ID token, with the same `sub`
/// and `auth_time` (OpenID Connect Core 1.0, 12.2).
struct RefreshTokenGrant: TokenGrantHandler {
    let ledger: GrantLedger
    let idTokens: IDTokenIssuer
    /// `auth_server.refresh_token_grace_seconds`.
    let graceSeconds: Int
    var grantType: String { "refresh_token" }

    func issue(for client: RegisteredClient, parameters: OAuthParameters) async throws -> IssuedTokens {
        guard client.allowRefreshTokens else { throw OAuthError.unauthorizedClient("this client may not use refresh tokens") }
        let scope = try parameters["scope"].map { requested in
            let parsed = ScopePolicy.parse(requested)
            // Narrowing to nothing is no narrowing: an empty scope is a mistake, not a token for no scope.
            guard !parsed.isEmpty else { throw OAuthError.invalidScope("scope names no scope; leave it out to keep what was granted") }
            return parsed
        }
        let issued = try await ledger.refreshRotation.rotate(
            parameters.required("refresh_token"), clientID: client.clientID, scope: scope, graceSeconds: graceSeconds)
        return try await idTokens.adding(to: issued, for: client)
    }
}
