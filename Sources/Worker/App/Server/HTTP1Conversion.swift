import HTTPTypes
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// NIO's HTTP/1 request head as swift-http-types' request, which Hummingbird's router speaks
/// (answers go back through the library's `HTTPResponseHead(_:)`).
///
/// A request whose target is a path (origin form, what every client sends to a server that is
/// not a proxy) keeps it as it came: swift-nio-extras' conversion parses every target with
/// Foundation's `URLComponents` to turn an absolute URI into a path, which cost more than the
/// router. Any other form still goes through that conversion.
enum HTTP1Conversion {
    static func request(_ head: HTTPRequestHead, secure: Bool) throws -> HTTPRequest {
        guard head.uri.utf8.first == UInt8(ascii: "/") else { return try HTTPRequest(head, secure: secure, splitCookie: false) }
        return HTTPRequest(
            method: try HTTPRequest.Method(head.method),
            scheme: secure ? "https" : "http",
            authority: head.headers.first(name: "host"),
            path: head.uri,
            // Without the first Host field, which became the authority (as the library does).
            headerFields: HTTPFields(head.headers, splitCookie: false))
    }
}
