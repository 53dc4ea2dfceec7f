import Foundation
import Hummingbird

/// GET /.well-known/oauth-authorization-server (RFC 8414): what standard client libraries read
/// to find the endpoints and what this server supports. Built once; it changes only with config.
struct MetadataRoutes: Sendable {
    let document: [String: any Sendable]

    init(issuer: String, scopes: [String]) {
        document = [
            "issuer": issuer,
            "authorization_endpoint": "\(issuer)/authorize",
            "token_endpoint": "\(issuer)/token",
            "revocation_endpoint": "\(issuer)/revoke",
            "introspection_endpoint": "\(issuer)/introspect",
            "jwks_uri": "\(issuer)/jwks",
            "response_types_supported": ["code", "token", "id_token", "id_token token"],
            "response_modes_supported": ["query", "fragment"],
            "grant_types_supported": ["authorization_code", "implicit", "refresh_token", "client_credentials"],
            "scopes_supported": OpenIDScopes.all + scopes.filter { !OpenIDScopes.all.contains($0) },
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256", "plain"],
            "authorization_response_iss_parameter_supported": true,
        ]
    }

    func add(to router: Router<WorkerRequestContext>) {
        let body = Self.serialized(document)
        router.get("/.well-known/oauth-authorization-server") { _, _ in Self.publicDocument(body, maxAge: 3600) }
    }

    /// A discovery document as the bytes served, once at start.
    static func serialized(_ document: [String: Any]) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }

    /// A document anyone may fetch and cache (metadata, discovery, keys), from any origin.
    static func publicDocument(_ body: [UInt8], maxAge: Int) -> Response {
        var response = Response(status: .ok, body: .init(byteBuffer: .init(bytes: body)))
        response.headers[.contentType] = "application/json"
        response.headers[.cacheControl] = "public, max-age=\(maxAge)"
        response.headers[.accessControlAllowOrigin] = "*"
        return response
    }
}
