import ArgumentParser
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Drives what a browser and a client do together, step by step, with many users at once:
/// sign in (GET and POST /login), consent (GET and POST /authorize) and exchange the code
/// (POST /token, with PKCE). Each step needs what the answer before it carried (cookies, the
/// CSRF token, the transaction, the code), which a fixed wrk script cannot express.
///
/// With `--codes-out`, each user signs in once and then only consents, writing the codes to a
/// file (for the code-exchange run); with `--refresh-out`, the first codes are exchanged and
/// their refresh tokens written (for the refresh run).
struct FlowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flow", abstract: "Run browser sign-in, consent and code exchange flows against a server.")

    @Option(help: "The server's base URL.") var url: String
    @Option(help: "Client id (a confidential client allowed the code grant).") var clientID: String
    @Option(help: "Its secret.") var clientSecret: String
    @Option(help: "One of its registered redirect URIs.") var redirectURI: String
    @Option(help: "Concurrent users.") var concurrency = 16
    @Option(help: "Seconds to run full flows for.") var duration = 5.0
    @Option(help: "Mint this many codes instead of running flows.") var count = 0
    @Option(help: "Where minted codes go, one a line.") var codesOut: String?
    @Option(help: "Where refresh tokens from exchanged codes go, one a line.") var refreshOut: String?
    @Option(help: "How many minted codes to exchange for refresh tokens.") var refreshCount = 0
    @Option(help: "Mint for clients <client-id>-0 … <client-id>-(N-1) as well (same secret and redirect URI).")
    var extraClients = 0

    func run() async throws {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(30)))
        // A connection per user, as browsers have their own: the server's workers share them out.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = concurrency
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let browser = Browser(http: client, base: url, clientID: clientID, secret: clientSecret, redirectURI: redirectURI)
        do {
            if count > 0 {
                try await mint(browser)
            } else {
                try await runFlows(browser)
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    private func runFlows(_ browser: Browser) async throws {
        let stats = FlowStats()
        let deadline = ContinuousClock.now + .milliseconds(Int64(duration * 1000))
        let started = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for user in 0..<concurrency {
                group.addTask {
                    var flow = 0
                    while ContinuousClock.now < deadline {
                        let began = ContinuousClock.now
                        do {
                            try await browser.fullFlow(username: "flow-\(user)-\(flow)@example.com")
                            stats.record(ContinuousClock.now - began)
                        } catch {
                            stats.fail("\(error)")
                        }
                        flow += 1
                    }
                }
            }
        }
        stats.report(elapsed: ContinuousClock.now - started, requestsPerFlow: Browser.requestsPerFullFlow)
    }

    /// Codes for the code-exchange run, written as `<Basic credentials> <code>` lines. A user's
    /// new grant to a client replaces the earlier one, so each user signs in once and consents
    /// once to each client: many clients make minting cheap. Refresh tokens come from codes of
    /// the main client, one user each.
    private func mint(_ browser: Browser) async throws {
        guard let codesOut else { throw ValidationError("--count needs --codes-out") }
        let clients = [clientID] + (0..<extraClients).map { "\(clientID)-\($0)" }
        let users = Tickets((count + clients.count - 1) / clients.count)
        let minted = try await withThrowingTaskGroup(of: [(client: String, code: String)].self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var codes: [(client: String, code: String)] = []
                    while let user = users.next() {
                        let session = try await browser.signIn(username: "mint-\(user)@example.com")
                        for client in clients { codes.append((client, try await browser.consent(session: session, challenge: nil, client: client))) }
                    }
                    return codes
                }
            }
            return try await group.reduce(into: [(client: String, code: String)]()) { $0 += $1 }
        }
        var forExchange = minted
        if let refreshOut, refreshCount > 0 {
            let own = minted.filter { $0.client == clientID }.prefix(refreshCount)
            forExchange.removeAll { pair in own.contains { $0.code == pair.code } }
            var tokens: [String] = []
            for pair in own { tokens.append(try await browser.exchange(code: pair.code, verifier: nil).refreshToken) }
            try (tokens.joined(separator: "\n") + "\n").write(toFile: refreshOut, atomically: true, encoding: .utf8)
        }
        let lines = forExchange.map { "\(browser.basicAuthorization($0.client)) \($0.code)" }
        try (lines.joined(separator: "\n") + "\n").write(toFile: codesOut, atomically: true, encoding: .utf8)
    }
}

/// Numbers 0..<count, each handed out once to whichever task asks first.
final class Tickets: Sendable {
    private let state: Mutex<(next: Int, count: Int)>

    init(_ count: Int) { state = Mutex((0, count)) }

    func next() -> Int? {
        state.withLock { state in
            guard state.next < state.count else { return nil }
            defer { state.next += 1 }
            return state.next
        }
    }
}

/// Latencies and failures of finished flows, from every user task.
final class FlowStats: Sendable {
    private struct State {
        var latencies: [Duration] = []
        var failures = 0
        var firstFailure: String?
    }

    private let state = Mutex(State())

    func record(_ latency: Duration) { state.withLock { $0.latencies.append(latency) } }

    func fail(_ reason: String) {
        state.withLock { state in
            state.failures += 1
            if state.firstFailure == nil { state.firstFailure = reason }
        }
    }

    /// One line scripts/bench reads: flows/s, requests/s, p50 and p99 of a whole flow in ms, errors.
    func report(elapsed: Duration, requestsPerFlow: Int) {
        let (sorted, failures, first) = state.withLock { ($0.latencies.sorted(), $0.failures, $0.firstFailure) }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let value = sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
            return Double(value.components.seconds) * 1000 + Double(value.components.attoseconds) / 1e15
        }
        let flows = Double(sorted.count) / seconds
        print(String(
            format: "flows/s %.1f requests/s %.1f p50_ms %.2f p99_ms %.2f errors %d",
            flows, flows * Double(requestsPerFlow), percentile(0.5), percentile(0.99), failures))
        if let first { print("first error: \(first)") }
    }
}
