import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SharedPlatform

/// Outbound HTTP to the site: pooled connections, bounded time, the configured identity
/// (User-Agent, basic auth) on every request, and failures turned into `ResourceServerUnavailable`.
package final class SiteHTTPClient: Sendable {
    package let baseURL: String
    private let client: HTTPClient
    private let basicAuthorization: String?
    private let userAgent: String
    private let timeout: TimeAmount

    /// A response from the site.
    package struct SiteResponse: Sendable {
        package let status: Int
        package let headers: HTTPHeaders
        package let body: ByteBuffer

        package var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any]
        }
    }

    package init(config: ResourceServerConfig) {
        let ssl = config.ssl
        let defaultPort = ssl ? 443 : 80
        baseURL = "\(ssl ? "https" : "http")://\(config.host)\(config.port == defaultPort ? "" : ":\(config.port)")"
        basicAuthorization = config.basicAuth.map { "Basic " + Data($0.utf8).base64EncodedString() }
        userAgent = config.userAgent ?? "oauth2-server/\(OAuth2ServerVersion.current)"
        // resource_server.timeout (seconds, default 10) bounds every call to the site.
        let milliseconds = Int64(config.timeoutSeconds * 1000)
        timeout = .milliseconds(milliseconds)
        var tls = TLSConfiguration.makeClientConfiguration()
        if config.allowBadSSLCertificate { tls.certificateVerification = .none }
        client = HTTPClient(
            eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton),
            configuration: .init(
                tlsConfiguration: tls, redirectConfiguration: .disallow,
                timeout: .init(connect: .milliseconds(min(3000, milliseconds)), read: .milliseconds(milliseconds))))
    }

    /// Sends a request to `path` (with its query) on the site.
    package func send(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: ByteBuffer? = nil
    ) async throws -> SiteResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "User-Agent", value: userAgent)
        request.headers.add(name: "Accept", value: "application/json, */*")
        if let basicAuthorization { request.headers.add(name: "Authorization", value: basicAuthorization) }
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body { request.body = .bytes(body) }
        do {
            let response = try await client.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: 8 << 20)
            return SiteResponse(status: Int(response.status.code), headers: response.headers, body: bytes)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw ResourceServerUnavailable(reason: "no answer from \(baseURL) within \(timeout.nanoseconds / 1_000_000_000) s", timedOut: true)
        } catch {
            throw ResourceServerUnavailable(reason: "\(baseURL): \(error)")
        }
    }

    package func shutdown() async {
        try? await client.shutdown()
    }
}
