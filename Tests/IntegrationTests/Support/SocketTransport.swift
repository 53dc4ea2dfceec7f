import NIOHTTP1
import TestSupport

/// Requests to a server process over real sockets (`TestHTTP`), for `Browser` and `OAuthDriver`.
struct SocketTransport: HTTPTransport {
    func send(_ url: String, method: HTTPMethod, headers: [(String, String)], body: [UInt8]?) async throws -> TestResponse {
        try await TestHTTP.send(url, method: method, headers: headers, bytes: body)
    }
}

extension Browser {
    /// A browser that talks to `server` over real sockets.
    init(server: ServerProcess, sid: String? = nil) {
        self.init(transport: SocketTransport(), baseURL: server.baseURL, sid: sid)
    }
}
