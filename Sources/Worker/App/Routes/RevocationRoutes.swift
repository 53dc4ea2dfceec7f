import Hummingbird
import SharedPlatform

/// POST /revoke (RFC 7009): a client ends one of its tokens. Unknown tokens answer 200, so the
/// endpoint says nothing about which tokens exist.
struct RevocationRoutes: Sendable {
    let gate: ClientGate
    let ledger: GrantLedger

    func add(to router: some RouterMethods<WorkerRequestContext>) {
        OAuthResponses.postOnly(router, "/revoke")
        gate.authenticating(router).post("/revoke") { _, context in
            try await ledger.revokeToken(
                context.parameters.required("token"), byClient: context.client.clientID,
                refreshFirst: context.parameters["token_type_hint"] == "refresh_token")
            return OAuthResponses.json(.ok, JSONWriter())
        }
    }
}
