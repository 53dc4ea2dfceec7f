import Hummingbird
import SharedPlatform

/// POST /revoke (RFC 7009): a client ends one of its tokens. Unknown tokens answer 200, so the
/// endpoint says nothing about which tokens exist.
struct RevocationRoutes: Sendable {
    let gate: ClientGate
    let ledger: GrantLedger

    func add(to router: some RouterMethods<WorkerRequestContext>) {
        OAuthResponses.postOnly(router, "/revoke")
        router.post("/revoke") { request, context in
            let asked = try await AuthenticatedClientRequest.read(request, context: context, gate: gate)
            try await ledger.revokeToken(
                asked.parameters.required("token"), byClient: asked.client.clientID,
                refreshFirst: asked.parameters["token_type_hint"] == "refresh_token")
            return OAuthResponses.json(.ok, JSONWriter())
        }
    }
}
