import Hummingbird
import SharedPlatform

/// What the back-channel endpoints need to know who is calling: the clients file, the budget
/// of failed attempts, and where requests come from.
struct ClientGate: Sendable {
    let clients: @Sendable () -> ClientRegistry
    let throttle: Throttle
    let behindProxy: Bool
    let metrics: OAuthMetrics
}

/// A client whose failed authentications from this address spent their budget: 429 until the wait passes.
struct ClientThrottled: Error {
    let wait: Duration
}

/// A back-channel request (/token, /revoke, /introspect) whose client has proved who it is.
struct AuthenticatedClientRequest: Sendable {
    let client: RegisteredClient
    let parameters: OAuthParameters

    /// Reads the body and authenticates its client: `invalid_client` (401) when that fails, 429
    /// while the client's failures from this address have spent their budget. The budget is
    /// checked before the secret is: a guess costs the guesser a wait, not the server a hash.
    static func read(_ request: Request, context: WorkerRequestContext, gate: ClientGate) async throws -> AuthenticatedClientRequest {
        let parameters = try await OAuthParameters.read(request, context: context)
        let presented = try ClientCredentialsReader.read(request, parameters: parameters)
        let key = presented.map { ThrottleKey.client($0.clientID, address: ClientAddress.of(request, context: context, behindProxy: gate.behindProxy)) }
        var hadFailures = false
        if let key {
            switch await gate.throttle.check(key) {
            case .wait(let wait): throw ClientThrottled(wait: wait)
            case .proceed(let failures): hadFailures = failures
            }
        }
        let client: RegisteredClient
        do {
            client = try ClientAuthenticator(clients: gate.clients()).authenticate(presented)
        } catch {
            gate.metrics.clientAuthenticationFailed()
            if let key { await gate.throttle.failed(key) }
            throw error
        }
        if let key { await gate.throttle.succeeded(key, hadFailures: hadFailures) }
        return AuthenticatedClientRequest(client: client, parameters: parameters)
    }
}
