import Foundation
import TestSupport
import Testing

extension IntegrationTests {
    /// Connections that say nothing (or half a request, as a slowloris does) hold no worker
    /// back: a new visitor is still served at once.
    @Suite(.serialized)
    struct IdleConnectionTests {
        @Test func twoThousandIdleConnectionsDoNotStopANewRequest() async throws {
            let server = try await ServerProcess.start(workers: 2)
            defer { server.kill() }
            var sockets: [Int32] = []
            defer { for fd in sockets { close(fd) } }
            for index in 0..<2_000 {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                try #require(fd >= 0, "a socket for idle connection \(index)")
                sockets.append(fd)
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = in_port_t(UInt16(server.port).bigEndian)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                try #require(connected == 0, "idle connection \(index) was accepted")
                // Every other one starts a request it never finishes.
                if index % 2 == 0 {
                    let partial = Array("GET /login HTTP/1.1\r\nHost: x\r\n".utf8)
                    _ = partial.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                }
            }
            let started = ContinuousClock.now
            let page = try await TestHTTP.get("\(server.baseURL)/healthcheck")
            #expect(page.status == 200)
            #expect(ContinuousClock.now - started < .seconds(2), "served at once beside 2,000 idle connections")
            #expect(server.workers.count == 2, "no worker fell over")
            for fd in sockets { close(fd) }
            sockets.removeAll()
            #expect(await server.stop() == 0)
        }
    }
}
