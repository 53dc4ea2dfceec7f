import NIOHTTP1

/// How a test's requests reach the server: over a socket to a server process, or in process to
/// the worker's responder. `Browser` and `OAuthDriver` drive either one.
package protocol HTTPTransport: Sendable {
    /// Sends one request to `url` (a base URL and a path) and returns the answer as it came,
    /// redirects not followed.
    func send(_ url: String, method: HTTPMethod, headers: [(String, String)], body: [UInt8]?) async throws -> TestResponse
}
