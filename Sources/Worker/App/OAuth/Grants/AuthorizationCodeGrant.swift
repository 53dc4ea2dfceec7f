import SharedPlatform

/// `authorization_code` (RFC 6749 4.1.3, RFC 7636 4.5): a code, once, for the client it was
/// issued to, with the same redirect URI and the PKCE verifier of its challenge. A grant with
/// `openid` gets an ID token too (OpenID Connect Core 1.0, 3.1.3.3).
struct AuthorizationCodeGrant: TokenGrantHandler {
    let ledger: GrantLedger
    let idTokens: IDTokenIssuer
    var grantType: String { "authorization_code" }

    func issue(for client: RegisteredClient, parameters: OAuthParameters) async throws -> IssuedTokens {
        guard client.allowCodeGrant else { throw OAuthError.unauthorizedClient("this client may not use the authorization code grant") }
        let issued = try await ledger.codeExchange.exchange(
            parameters.required("code"), clientID: client.clientID, redirectURI: parameters["redirect_uri"],
            codeVerifier: parameters["code_verifier"], withRefreshToken: client.allowRefreshTokens)
        return try await idTokens.adding(to: issued, for: client)
    }
}
