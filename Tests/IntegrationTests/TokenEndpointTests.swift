import Foundation
import NIOHTTP1
import TestSupport
import Testing

extension IntegrationTests {
    /// POST /token with everything a broken or hostile client sends: every answer is an
    /// RFC 6749 5.2 JSON error with the right status, never a 500, never a hang.
    @Suite(.serialized)
    struct TokenEndpointTests {
        /// Framing only a raw socket sends: a chunk size that is not hex, and a body cut short by a
        /// client that hangs up. Both are the client's mistake: 400, never a 500, and the worker goes
        /// on. (What a request's headers and body can get wrong is `WorkerAppTests.TokenRequestTests`'.)
        @Test func brokenFramingIsTheClientsMistake() async throws {
            let server = try await OAuthDriver.start(.embedded, workers: 1)
            defer { server.kill() }
            let badChunk = try await RawHTTP.exchange(port: server.port, """
                POST /token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic dGVzdDpodW50ZXIy\r\n\
                Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\ngrant_type\r\n0\r\n\r\n
                """)
            #expect(badChunk.hasPrefix("HTTP/1.1 400"), "a broken chunk size: \(badChunk)")
            #expect(badChunk.contains(#""error":"invalid_request""#), "\(badChunk)")
            let cutShort = try await RawHTTP.exchange(port: server.port, """
                POST /token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic dGVzdDpodW50ZXIy\r\n\
                Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=cl
                """, hangUp: true)
            #expect(!cutShort.hasPrefix("HTTP/1.1 5") && !cutShort.hasPrefix("HTTP/1.1 200"), "a body cut short: \(cutShort)")

            // After all that, the server is fine and serves a good request.
            var driver = OAuthDriver(server: server)
            try await driver.signIn(OAuthDriver.newUser())
            _ = try await driver.exchange(try await driver.code())
            #expect(!server.log().contains(" 500 "), "no request ended in a 500")
            #expect(!server.log().contains("unhandled error"), "no client mistake is logged as the server's error")
            #expect(await server.stop() == 0)
        }

        /// The worker reads NIO's HTTP/1 requests itself: a target in absolute form (RFC 9112
        /// 3.2.2, what a client talking through a proxy sends) reaches the same route as its path,
        /// query included; pipelined requests are answered in order on one connection; a request
        /// whose body is cut by the client's hang-up is answered 400 or nothing, never 500.
        @Test func everyFormOfRequestTargetReachesItsRoute() async throws {
            let server = try await OAuthDriver.start(.embedded, workers: 1)
            defer { server.kill() }
            let absolute = try await RawHTTP.exchange(
                port: server.port,
                "GET http://127.0.0.1:\(server.port)/.well-known/oauth-authorization-server?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            #expect(absolute.hasPrefix("HTTP/1.1 200"), "\(absolute.prefix(200))")
            #expect(absolute.contains("\"token_endpoint\""))
            let root = try await RawHTTP.exchange(port: server.port, "GET http://127.0.0.1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            #expect(root.hasPrefix("HTTP/1.1 "), "an absolute target without a path is the root: \(root.prefix(100))")
            #expect(!root.hasPrefix("HTTP/1.1 5"))

            let form = "grant_type=client_credentials"
            let token = "POST /token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \(Data("service:service-secret".utf8).base64EncodedString())\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(form.utf8.count)\r\n\r\n\(form)"
            let pipelined = try await RawHTTP.exchange(
                port: server.port, "GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n" + token + "GET /no-such-page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            // A body is not followed by a line break: each answer starts right after the one before.
            let statuses = pipelined.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
            #expect(statuses == ["200", "200", "404"], "three answers, in order: \(statuses)")
            #expect(pipelined.contains("\"access_token\""), "the pipelined token request was answered with a token")

            let cut = try await RawHTTP.exchange(
                port: server.port, "POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=",
                hangUp: true)
            #expect(cut.isEmpty || cut.hasPrefix("HTTP/1.1 400"), "\(cut.prefix(100))")
            #expect(try await TestHTTP.get(server.baseURL + "/healthcheck").status == 200, "the worker goes on")
            #expect(await server.stop() == 0)
        }
    }
}
