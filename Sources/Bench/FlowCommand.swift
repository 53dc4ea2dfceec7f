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

    func run() async throws {
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(30))))
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

    private func mint(_ browser: Browser) async throws {
        guard let codesOut else { throw ValidationError("--count needs --codes-out") }
        // One new user a code: a user's new grant to a client replaces the earlier one.
        let tickets = Tickets(count)
        let codes = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var minted: [String] = []
                    while let ticket = tickets.next() {
                        let session = try await browser.signIn(username: "mint-\(ticket)@example.com")
                        minted.append(try await browser.consent(session: session, challenge: nil))
                    }
                    return minted
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        var left = codes[...]
        if let refreshOut, refreshCount > 0 {
            var tokens: [String] = []
            for code in left.prefix(refreshCount) { tokens.append(try await browser.exchange(code: code, verifier: nil).refreshToken) }
            left = left.dropFirst(refreshCount)
            try (tokens.joined(separator: "\n") + "\n").write(toFile: refreshOut, atomically: true, encoding: .utf8)
        }
        try (left.joined(separator: "\n") + "\n").write(toFile: codesOut, atomically: true, encoding: .utf8)
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
