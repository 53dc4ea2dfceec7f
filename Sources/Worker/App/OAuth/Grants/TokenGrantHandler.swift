import SharedPlatform

/// One grant type of the token endpoint (RFC 6749 section 4). The endpoint authenticates the
/// client, then hands the request to the handler registered for its `grant_type`; a new grant
/// type is a new handler, not an edit of the endpoint.
protocol TokenGrantHandler: Sendable {
    var grantType: String { get }
    func issue(for client: RegisteredClient, parameters: OAuthParameters) async throws -> IssuedTokens
}
