import Hummingbird

/// GET /.well-known/oauth-authorization-server (RFC 8414): what standard client libraries read
/// to find the endpoints and what this server supports. Built once; it changes only with config.
struct MetadataRoutes: Sendable {
    let document: AuthorizationServerMetadata

    func add(to router: Router<WorkerRequestContext>) {
        let body = JSONDocument.bytes(document, slashes: .unescaped)
        router.get("/.well-known/oauth-authorization-server") { _, _ in Self.publicDocument(body, maxAge: 3600) }
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
