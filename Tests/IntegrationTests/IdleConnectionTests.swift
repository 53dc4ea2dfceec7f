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
            var connections: [RawConnection] = []
            for index in 0..<2_000 {
                let connection = try #require(try? RawConnection(port: server.port), "idle connection \(index) was accepted")
                connections.append(connection)
                // Every other one starts a request it never finishes.
                if index % 2 == 0 { connection.send("GET /login HTTP/1.1\r\nHost: x\r\n") }
            }
            let started = ContinuousClock.now
            let page = try await TestHTTP.get("\(server.baseURL)/healthcheck")
            #expect(page.status == 200)
            #expect(ContinuousClock.now - started < .seconds(2), "served at once beside 2,000 idle connections")
            #expect(server.workers.count == 2, "no worker fell over")
            for connection in connections { connection.close() }
            #expect(await server.stop() == 0)
        }
    
        @Test func aWorkerAtItsConnectionLimitStopsAcceptingUntilOneCloses() async throws {
            let server = try await ServerProcess.start(workers: 1, overrides: ["auth_server": ["max_connections": 10]])
            defer { server.kill() }
            var idle = try (0..<10).map { _ in try RawConnection(port: server.port) }
            #expect(await server.waitForLog("10 connections open (auth_server.max_connections)"), "all ten accepted: the worker is at its limit")

            let waiting = try RawConnection(port: server.port)
            waiting.send("GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(!waiting.readable(within: .seconds(1)), "not accepted while ten connections are open")

            idle.removeFirst().close()
            #expect(waiting.readable(within: .seconds(3)), "accepted once one closed")
            #expect(waiting.readAvailable().hasPrefix("HTTP/1.1 200"))
            #expect(server.workers.count == 1, "the worker did not fall over")
            for connection in idle { connection.close() }
            #expect(await server.stop() == 0)
        }

        @Test func idleAndSlowHeaderConnectionsAreClosed() async throws {
            let server = try await ServerProcess.start(
                workers: 1, overrides: ["auth_server": ["idle_timeout": 1, "request_header_timeout": 1.5]])
            defer { server.kill() }
            let started = ContinuousClock.now
            // One says nothing; one finishes a request and then says nothing; one trickles a
            // header byte every 100 ms, never finishing its headers.
            let silent = try RawConnection(port: server.port)
            let kept = try RawConnection(port: server.port)
            kept.send("GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(kept.readable(within: .seconds(2)) && kept.readAvailable().hasPrefix("HTTP/1.1 200"))
            let trickler = try RawConnection(port: server.port)
            let header = Array("GET /healthcheck HTTP/1.1\r\nHost: x\r\nX-Slow: \(String(repeating: "a", count: 60))".utf8)
            var sent = 0
            while !trickler.readable(within: .milliseconds(100)), sent < header.count {
                trickler.send(bytes: [header[sent]])
                sent += 1
            }
            let trickled = ContinuousClock.now - started
            #expect(trickled > .milliseconds(1400) && trickled < .seconds(3), "cut off after the header timeout: \(trickled)")
            #expect(trickler.readAvailable().hasPrefix("HTTP/1.1 408"))
            for connection in [silent, kept] {
                #expect(connection.readable(within: .seconds(2)), "an idle connection is closed")
                #expect(connection.readAvailable().isEmpty, "closed without an answer")
            }
            #expect(ContinuousClock.now - started > .seconds(1), "not before the idle timeout")
            // A busy connection is not cut off between requests that keep coming.
            let busy = try RawConnection(port: server.port)
            for _ in 0..<5 {
                busy.send("GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(busy.readable(within: .seconds(2)) && busy.readAvailable().hasPrefix("HTTP/1.1 200"))
                try await Task.sleep(for: .milliseconds(600))
            }
            #expect(await server.stop() == 0)
        }
}
}
