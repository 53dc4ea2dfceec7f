import Hummingbird
import Logging
import SharedPlatform

/// POST /token (RFC 6749 3.2): authenticates the client, then lets the handler of the request's
/// `grant_type` issue the tokens.
struct TokenRoutes: Sendable {
    let gate: ClientGate
    let handlers: [String: any TokenGrantHandler]
    let metrics: OAuthMetrics
    let logger: Logger

    init(gate: ClientGate, handlers: [any TokenGrantHandler], metrics: OAuthMetrics, logger: Logger) {
        self.gate = gate
        self.metrics = metrics
        self.handlers = Dictionary(uniqueKeysWithValues: handlers.map { ($0.grantType, $0) })
        self.logger = logger
    }

    func add(to router: some RouterMethods<WorkerRequestContext>) {
        OAuthResponses.postOnly(router, "/token")
        router.post("/token") { request, context in try await counted { try await token(request, context: context) } }
    }

    private func token(_ request: Request, context: WorkerRequestContext) async throws -> Response {
        let asked = try await AuthenticatedClientRequest.read(request, context: context, gate: gate)
        let (client, parameters) = (asked.client, asked.parameters)
        let grantType = try parameters.required("grant_type")
        guard let handler = handlers[grantType] else {
            throw OAuthError.unsupportedGrantType("grant_type \(grantType) is not supported")
        }
        do {
            let issued = try await handler.issue(for: client, parameters: parameters)
            metrics.tokenIssued(grantType: grantType, client: client)
            return OAuthResponses.tokens(issued)
        } catch let error as OAuthError {
            logger.info("token: \(grantType) refused for client \(client.clientID): \(error)")
            throw error
        }
    }

    /// Counts a refusal in RFC 6749's words, wherever in the request it came from.
    private func counted(_ operation: () async throws -> Response) async throws -> Response {
        do {
            return try await operation()
        } catch let error as OAuthError {
            metrics.tokenRefused(error.code)
            throw error
        }
    }
}
