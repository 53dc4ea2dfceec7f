import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// A response as a test looks at it.
struct TestResponse: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: String

    func header(_ name: String) -> String? { headers[name].first }
}

/// Real HTTP requests over real sockets, one fresh connection each (as a browser opening a
/// page would after a pause), so a test sees exactly what a new client sees.
enum TestHTTP {
    /// A client that accepts the test's self-signed certificates and shows redirects rather than following them.
    static let client: HTTPClient = {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        return HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(
                tlsConfiguration: tls, redirectConfiguration: .disallow,
                timeout: .init(connect: .seconds(5), read: .seconds(20)))
        )
    }()

    static func get(_ url: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await send(url, method: .GET, headers: headers)
    }

    static func send(
        _ url: String,
        method: HTTPMethod,
        headers: [(String, String)] = [],
        body: String? = nil,
        bytes: [UInt8]? = nil
    ) async throws -> TestResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        if let bytes { request.body = .bytes(ByteBuffer(bytes: bytes)) }
        let response = try await client.execute(request, timeout: .seconds(20))
        let bytes = try await response.body.collect(upTo: 4 << 20)
        return TestResponse(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }
}
