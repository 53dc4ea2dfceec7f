import Foundation
import Hummingbird
import SharedPlatform
import SharedStorage

/// GET /.well-known/openid-configuration (OpenID Connect Discovery 1.0, 3) and GET /jwks
/// (RFC 7517 5): how relying parties find this provider and the keys its tokens are signed with.
struct OpenIDRoutes: Sendable {
    let keyRing: KeyRing
    /// The RFC 8414 document (`MetadataRoutes`), which the discovery document extends.
    let metadata: [String: any Sendable]
    let issuer: String
    /// Seconds relying parties may cache the JWKS (a third of the key staging time).
    let jwksMaxAge: Int

    func add(to router: Router<WorkerRequestContext>) {
        router.get("/jwks") { _, _ -> Response in
            // A store that cannot be read answers 503 (StorageUnavailable is an HTTP error).
            // As application/json: RFC 7517's application/jwk-set+json is refused by some
            // relying-party libraries (pyoidc).
            try await MetadataRoutes.publicDocument(keyRing.current().jwks, maxAge: jwksMaxAge)
        }
        let body = MetadataRoutes.serialized(document())
        router.get("/.well-known/openid-configuration") { _, _ in MetadataRoutes.publicDocument(body, maxAge: 3600) }
    }

    /// The RFC 8414 members (with jwks_uri and the OpenID scopes), plus what Discovery 1.0 requires and what this provider supports.
    func document() -> [String: Any] {
        var document: [String: Any] = metadata
        document["userinfo_endpoint"] = "\(issuer)/userinfo"
        document["end_session_endpoint"] = "\(issuer)/end_session"
        document["subject_types_supported"] = ["public", "pairwise"]
        // Every algorithm a client may name in id_token_signed_response_alg.
        document["id_token_signing_alg_values_supported"] = SigningAlgorithm.allCases.map(\.rawValue)
        document["claims_supported"] = ["iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid"] + UserClaims.supported
        document["claims_parameter_supported"] = false
        document["request_parameter_supported"] = false
        document["request_uri_parameter_supported"] = false
        return document
    }
}
