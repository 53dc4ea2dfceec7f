import Foundation
import TestSupport

/// The load balancer host: HAProxy from Debian, round robin over the server hosts with no
/// stickiness, health-checking `/healthcheck`. Its settings are deploy/haproxy.cfg.example's
/// with a test's timings (a dead host is out within a second).
final class LoadBalancerHost: @unchecked Sendable {
    static let port = 80
    static let statsPort = 8404

    let host: TestNetwork.Host
    private let process: NamespacedProcess

    var baseURL: String { "http://\(host.address):\(Self.port)" }

    init(on host: TestNetwork.Host, servers: [(name: String, address: String, port: Int)], directory: String) async throws {
        self.host = host
        let file = "\(directory)/haproxy.cfg"
        try Self.configuration(address: host.address, servers: servers).write(toFile: file, atomically: true, encoding: .utf8)
        process = try NamespacedProcess("haproxy", in: host, "/usr/sbin/haproxy", ["-db", "-f", file], logPath: "\(directory)/haproxy.log")
        let process = self.process
        guard await eventually(timeout: .seconds(20), interval: .milliseconds(100), { await self.serversUp().count == servers.count }) else {
            let up = await serversUp()
            throw ServerProcessFailure("HAProxy did not see every server up (up: \(up), running: \(process.isRunning)):\n\(process.log)")
        }
    }

    /// The configuration, as an operator would write it (see deploy/haproxy.cfg.example):
    /// - `retry-on conn-failure` with `option redispatch 1`: a request that cannot connect to a
    ///   host (cut off, not yet marked down) goes to another one, so a dead host costs only the
    ///   requests it had already taken;
    /// - `http-server-close`: no idle connection to a host is kept for later requests, so a
    ///   worker retiring on reload never closes one under a request in flight;
    /// - `timeout server 10s`: above the server's own storage deadline (3 s) with room for a
    ///   loaded machine, so a store outage shows as the server's 503, not as the proxy's 504.
    static func configuration(address: String, servers: [(name: String, address: String, port: Int)]) -> String {
        """
        global
            maxconn 4096
            log stdout format raw local0

        defaults
            mode http
            log global
            option httplog
            option forwardfor
            option http-server-close
            timeout connect 500ms
            timeout client 30s
            timeout server 10s
            timeout queue 5s
            retries 3
            retry-on conn-failure
            option redispatch 1

        frontend oauth2
            bind \(address):\(port)
            http-request set-header X-Real-IP %[src]
            default_backend oauth2_servers

        frontend stats
            bind \(address):\(statsPort)
            no log
            stats enable
            stats uri /stats

        backend oauth2_servers
            balance roundrobin
            option httpchk GET /healthcheck
            http-check expect status 200
            default-server inter 300ms fastinter 200ms downinter 300ms fall 2 rise 2
        \(servers.map { "    server \($0.name) \($0.address):\($0.port) check" }.joined(separator: "\n"))

        """
    }

    /// The servers HAProxy's health checks hold up right now.
    func serversUp() async -> [String] {
        await serverStats().filter { $0.status.hasPrefix("UP") }.map(\.name)
    }

    /// How many requests HAProxy has sent to each server so far.
    func requestsSent() async -> [String: Int] {
        Dictionary(uniqueKeysWithValues: await serverStats().map { ($0.name, $0.sessions) })
    }

    /// The requests HAProxy has sent to `server` (or to any, without one) and not yet seen answered.
    func requestsInFlight(on server: String? = nil) async -> Int {
        await serverStats().filter { server == nil || $0.name == server }.map(\.current).reduce(0, +)
    }

    /// The servers' rows of HAProxy's stats page (CSV: name is field 1, current sessions 4,
    /// total sessions 7, status 17).
    private func serverStats() async -> [(name: String, current: Int, sessions: Int, status: String)] {
        guard let stats = try? await TestHTTP.get("http://\(host.address):\(Self.statsPort)/stats;csv"), stats.status == 200 else { return [] }
        return stats.body.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count > 17, fields[0] == "oauth2_servers", fields[1] != "BACKEND" else { return nil }
            return (String(fields[1]), Int(fields[4]) ?? 0, Int(fields[7]) ?? 0, String(fields[17]))
        }
    }

    func stop() { process.kill() }

    var log: String { process.log }
}
