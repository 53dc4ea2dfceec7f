import Hummingbird
import HummingbirdAuth
import SharedPlatform

/// What the back-channel endpoints need to know who is calling: the clients file, the budget
/// of failed attempts, and where requests come from.
struct ClientGate: Sendable {
    let clients: @Sendable () -> ClientRegistry
    let throttle: Throttle
    let behindProxy: Bool
    let metrics: OAuthMetrics

    /// The routes of `group` that only an authenticated client reaches: their handlers see the
    /// client and the parsed body in `ClientRequestContext`, never an optional.
    func authenticating(_ group: some RouterMethods<WorkerRequestContext>) -> RouterGroup<ClientRequestContext> {
        group.group().add(middleware: ClientAuthenticationMiddleware(gate: self)).group(context: ClientRequestContext.self)
    }
}

/// A client whose failed authentications from this address spent their budget: 429 until the wait passes.
struct ClientThrottled: Error {
    let wait: Duration
}

/// A back-channel request (/token, /revoke, /introspect) whose client has proved who it is, with
/// the body that proof was read from. A class: the context carries it by reference, so the
/// contexts of every other request stay small.
package final class AuthenticatedClientRequest: Sendable {
    let client: RegisteredClient
    let parameters: OAuthParameters

    init(client: RegisteredClient, parameters: OAuthParameters) {
        self.client = client
        self.parameters = parameters
    }
}

/// Reads the body and authenticates its client (RFC 6749 2.3): `invalid_client` (401) when that
/// fails, 429 while the client's failures from this address have spent their budget. The budget
/// is checked before the secret is: a guess costs the guesser a wait, not the server a hash.
struct ClientAuthenticationMiddleware: AuthenticatorMiddleware {
    typealias Context = WorkerRequestContext

    let gate: ClientGate

    func authenticate(request: Request, context: Context) async throws -> AuthenticatedClientRequest? {
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

/// The context of a route behind `ClientGate.authenticating`: the client and its parameters.
struct ClientRequestContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    let client: RegisteredClient
    let parameters: OAuthParameters

    init(context: WorkerRequestContext) throws {
        // Only a route added without the middleware lands here with no identity.
        guard let authenticated = context.identity else { throw OAuthError.invalidClient("client authentication is required") }
        self.coreContext = context.coreContext
        self.client = authenticated.client
        self.parameters = authenticated.parameters
    }

    var maxUploadSize: Int { WorkerRequestContext.maxUploadSize }
}
