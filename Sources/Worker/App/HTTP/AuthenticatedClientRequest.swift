import Hummingbird
import OAuth2Shared

/// A back-channel request (/token, /revoke, /introspect) whose client has proved who it is.
struct AuthenticatedClientRequest: Sendable {
    let client: RegisteredClient
    let parameters: OAuthParameters

    /// Reads the body and authenticates its client: `invalid_client` (401) when that fails.
    static func read(_ request: Request, context: WorkerRequestContext, clients: ClientRegistry) async throws -> AuthenticatedClientRequest {
        let parameters = try await OAuthParameters.read(request, context: context)
        let client = try ClientAuthenticator(clients: clients).authenticate(ClientCredentialsReader.read(request, parameters: parameters))
        return AuthenticatedClientRequest(client: client, parameters: parameters)
    }
}
