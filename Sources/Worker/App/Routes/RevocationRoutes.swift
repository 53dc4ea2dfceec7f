import Hummingbird
import OAuth2Shared

/// POST /revoke (RFC 7009): a client ends one of its tokens. Unknown tokens answer 200, so the
/// endpoint says nothing about which tokens exist.
struct RevocationRoutes: Sendable {
    let clients: @Sendable () -> ClientRegistry
    let ledger: GrantLedger

    func add(to router: Router<WorkerRequestContext>) {
        OAuthResponses.postOnly(router, "/revoke")
        router.post("/revoke") { request, context in
            try await OAuthResponses.answering(request, context: context) {
                let parameters = try await OAuthParameters.read(request, context: context)
                let client = try ClientAuthenticator(clients: clients()).authenticate(
                    ClientCredentialsReader.read(request, parameters: parameters))
                guard let token = parameters["token"] else { throw OAuthError.invalidRequest("token is required") }
                try await ledger.revokeToken(
                    token, byClient: client.clientID, refreshFirst: parameters["token_type_hint"] == "refresh_token")
                return OAuthResponses.json(.ok, [:])
            }
        }
    }
}
