import Hummingbird
import SharedPlatform
import SharedStorage

/// GET /.well-known/openid-configuration (OpenID Connect Discovery 1.0, 3) and GET /jwks
/// (RFC 7517 5): how relying parties find this provider and the keys its tokens are signed with.
struct OpenIDRoutes: Sendable {
    let keyRing: KeyRing
    /// The RFC 8414 document (`MetadataRoutes`), which the discovery document extends.
    let metadata: AuthorizationServerMetadata
    /// Seconds relying parties may cache the JWKS (a third of the key staging time).
    let jwksMaxAge: Int

    func add(to router: Router<WorkerRequestContext>) {
        router.get("/jwks") { _, _ -> Response in
            // A store that cannot be read answers 503 (StorageUnavailable is an HTTP error).
            // As application/json: RFC 7517's application/jwk-set+json is refused by some
            // relying-party libraries (pyoidc).
            try await MetadataRoutes.publicDocument(keyRing.current().jwks, maxAge: jwksMaxAge)
        }
        let body = JSONDocument.bytes(OpenIDProviderMetadata(extending: metadata), slashes: .unescaped)
        router.get("/.well-known/openid-configuration") { _, _ in MetadataRoutes.publicDocument(body, maxAge: 3600) }
    }
}
