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
        // Counted outside authentication, so a refused client counts as `invalid_client`.
        gate.authenticating(router.group().add(middleware: TokenRefusalCount(metrics: metrics)))
            .post("/token") { _, context in try await token(client: context.client, parameters: context.parameters) }
    }

    private func token(client: RegisteredClient, parameters: OAuthParameters) async throws -> Response {
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
}

/// Counts a refusal of /token in RFC 6749 5.2's words, wherever in the request it came from.
private struct TokenRefusalCount: RouterMiddleware {
    typealias Context = WorkerRequestContext

    let metrics: OAuthMetrics

    func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as OAuthError {
            metrics.tokenRefused(error.code)
            throw error
        }
    }
}
