import Foundation
import Hummingbird
import HTTPTypes
import SharedStorage

/// A storage outage is the server's problem, never the client's: 503 with a JSON error in the
/// RFC 6749 vocabulary and a hint to retry, whatever endpoint met it.
extension StorageUnavailable: HTTPResponseError {
    package var status: HTTPResponse.Status { .serviceUnavailable }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = #"{"error":"temporarily_unavailable","error_description":"storage is unavailable; try again shortly"}"#
        var response = Response(status: .serviceUnavailable, body: .init(byteBuffer: .init(string: body)))
        response.headers[.contentType] = "application/json"
        response.headers[.retryAfter] = "5"
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
