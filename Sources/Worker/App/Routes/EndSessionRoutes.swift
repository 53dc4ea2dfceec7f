import Foundation
import Hummingbird
import NIOCore
import SharedPlatform

/// GET and POST /end_session (OpenID Connect RP-Initiated Logout 1.0): a relying party sends
/// the user here to sign out. The session ends in every case. The user goes back to
/// `post_logout_redirect_uri` (with `state`) only when a valid `id_token_hint` names the client
/// and the URI is one of its `post_logout_redirect_uris`, exactly; otherwise a page says they
/// are signed out (an open redirect otherwise).
struct EndSessionRoutes: Sendable {
    let sessions: SessionStore
    let pages: PageRenderer
    let keyRing: KeyRing
    let clients: @Sendable () -> ClientRegistry
    let issuer: String

    func add(to router: some RouterMethods<WorkerRequestContext>) {
        router.get("/end_session") { request, _ in
            try await endSession(request, parameters: QueryParameters(request))
        }
        router.post("/end_session") { request, context in
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            return try await endSession(request, parameters: QueryParameters(query: String(buffer: body)))
        }
    }

    private func endSession(_ request: Request, parameters: QueryParameters) async throws -> Response {
        if let (id, _) = try await sessions.load(request) { try await sessions.destroy(id) }
        var response: Response
        if let target = try await returnAddress(parameters) {
            response = PageRenderer.redirect(to: target)
        } else {
            response = pages.error(.ok, heading: "You are signed out", message: "You have been signed out. You may close this window.")
        }
        response.setCookie(sessions.expiredCookie)
        return response
    }

    /// The registered URI to send the user back to, with `state`, if the request may have one.
    private func returnAddress(_ parameters: QueryParameters) async throws -> String? {
        guard let uri = parameters["post_logout_redirect_uri"], let hint = parameters["id_token_hint"],
            let claims = await keyRing.verified(hint, as: LogoutHint.self), claims.iss == issuer,
            let client = clients().client(claims.aud), client.postLogoutRedirects.contains(uri)
        else { return nil }
        if let named = parameters["client_id"], named != client.clientID { return nil }
        let state = parameters["state"].map { "state=\(PercentEncoding.component($0))" }
        guard let state else { return uri }
        return uri + (uri.contains("?") ? "&" : "?") + state
    }
}
