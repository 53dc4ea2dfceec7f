import SharedPlatform

/// `client_credentials` (RFC 6749 4.4): a confidential client acting for itself gets an access
/// token with no user, within its `allowed_scopes` (the site's lowest scope when it lists none),
/// and no refresh token.
struct ClientCredentialsGrant: TokenGrantHandler {
    let ledger: GrantLedger
    let scopes: ScopePolicy
    var grantType: String { "client_credentials" }

    func issue(for client: RegisteredClient, parameters: OAuthParameters) async throws -> IssuedTokens {
        guard client.allowClientCredentialsGrant, !client.isPublic else {
            throw OAuthError.unauthorizedClient("this client may not use the client credentials grant")
        }
        let allowed = (client.allowedScopes ?? scopes.siteScopes.prefix(1).map { $0 }).filter(scopes.siteScopes.contains)
        let requested = ScopePolicy.parse(parameters["scope"])
        if let refused = requested.first(where: { !allowed.contains($0) }) {
            throw OAuthError.invalidScope("scope \"\(refused)\" is not allowed for this client")
        }
        var scope: [String] = []
        for name in requested.isEmpty ? allowed : requested where !scope.contains(name) { scope.append(name) }
        guard !scope.isEmpty else { throw OAuthError.invalidScope("this client is allowed no scope") }
        return try await ledger.issueClientToken(clientID: client.clientID, scope: scope)
    }
}
