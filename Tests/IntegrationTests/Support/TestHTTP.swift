import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import TestSupport

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

/// Bytes no HTTP client library would send (a broken chunked body, a body cut short), over a
/// plain TCP connection; returns everything the server answers until it closes or goes quiet.
enum RawHTTP {
    /// - Parameter hangUp: close our sending side after the bytes, as a client that gives up.
    static func exchange(port: Int, _ request: String, hangUp: Bool = false) async throws -> String {
        try await Task.detached {
            let connection = try RawConnection(port: port)
            connection.send(request)
            if hangUp { connection.hangUp() }
            return connection.readUntilClosed(within: .seconds(5))
        }.value
    }
}

/// A raw TCP connection to the server, for tests of what the server does with connections
/// rather than with requests.
final class RawConnection {
    private var fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    /// The port this end of the connection has.
    var localPort: Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func send(_ text: String) { send(bytes: Array(text.utf8)) }

    func send(bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Whether an answer or the server's close arrives within `limit`.
    func readable(within limit: Duration) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(limit.components.seconds * 1000 + limit.components.attoseconds / 1_000_000_000_000_000)
        return poll(&descriptor, 1, milliseconds) > 0
    }

    /// Closes our sending side, as a client that gives up.
    func hangUp() { shutdown(fd, Int32(SHUT_WR)) }

    /// Everything until the server closes, or until nothing has come for `limit`.
    func readUntilClosed(within limit: Duration) -> String {
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while readable(within: limit) {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            answer.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: answer, as: UTF8.self)
    }

    /// What has arrived so far (empty once the server closed without answering).
    func readAvailable() -> String { readUntilClosed(within: .milliseconds(50)) }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    deinit { close() }
}
