import Hummingbird
import NIOCore

/// Reading `OAuthParameters` from a Hummingbird request: the HTTP side of them, so the OAuth
/// logic that takes them never sees a request type.
extension OAuthParameters {
    /// The body is over the limit: 413, before anything is decoded.
    struct BodyTooLarge: Error { let limit: Int }

    static func read(_ request: Request, context: WorkerRequestContext) async throws -> OAuthParameters {
        let limit = context.maxUploadSize
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw BodyTooLarge(limit: limit)
        }
        let mediaType = HeaderText.mediaType(request.headers[.contentType] ?? "")
        switch mediaType {
        case "application/json":
            guard let text = String(validating: body.readableBytesView, as: UTF8.self) else {
                throw OAuthError.invalidRequest("the request body is not valid UTF-8")
            }
            return try fromJSON(text)
        case "application/x-www-form-urlencoded", "":
            return try fromForm(body.readableBytesView)
        default:
            throw OAuthError.invalidRequest("send the parameters as application/x-www-form-urlencoded (or application/json)")
        }
    }
}
