import Foundation
import NIOHTTP1
import Synchronization
import TestSupport
import Testing

/// Steady traffic through the load balancer while faults happen: `lanes` clients, each in a
/// loop asking for a client-credentials token and introspecting it, every request on a fresh
/// connection. The test opens a window per fault (and one after it) and reads what failed in
/// each. A request counts in the window that was open when it was sent, except that one in
/// flight when a fault's window opens counts in that fault's window: the fault broke it.
final class SteadyLoad: Sendable {
    /// One request's outcome: its HTTP status, or 0 when no answer came (a broken connection).
    struct Outcome: Sendable {
        enum Request: Sendable { case token, introspection }
        let request: Request
        let window: String
        let status: Int
        /// From sending the request to its answer (or to giving up on it).
        let elapsed: Duration
        /// Not a 200, or an introspection that found a token just answered dead.
        let failed: Bool
    }

    /// A token answered under load, with the window it was answered in.
    struct AnsweredToken: Sendable {
        let token: String
        let window: String
    }

    private struct State {
        var window: String
        var windows: [String]
        var faults: Set<String> = []
        var outcomes: [Outcome] = []
        var tokens: [AnsweredToken] = []
        var stopped = false
        var paused = false
        /// Requests sent and not yet answered.
        var inFlight = 0
    }

    let baseURL: String
    private let state: Mutex<State>
    private let lanes: Int

    init(baseURL: String, lanes: Int, firstWindow: String) {
        self.baseURL = baseURL
        self.lanes = lanes
        state = Mutex(State(window: firstWindow, windows: [firstWindow]))
    }

    /// From now on, requests count in `name`; `fault` for the window of a fault.
    func open(_ name: String, fault: Bool = false) {
        state.withLock {
            $0.window = name
            if !$0.windows.contains(name) { $0.windows.append(name) }
            if fault { $0.faults.insert(name) }
        }
    }

    func stop() { state.withLock { $0.stopped = true } }

    /// Sends nothing more until `resume()`; returns once no request is in flight, or false if
    /// one is still after 15 s.
    func pause() async -> Bool {
        state.withLock { $0.paused = true }
        return await eventually(timeout: .seconds(15), interval: .milliseconds(10)) { self.state.withLock { $0.inFlight == 0 } }
    }

    func resume() { state.withLock { $0.paused = false } }

    /// Runs the lanes until `stop()`.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<lanes {
                group.addTask { await self.lane() }
            }
        }
    }

    /// Runs the lanes while `body` runs; if it throws, the figures so far are printed first.
    func whileRunning(_ body: () async throws -> Void) async throws {
        let lanes = Task { await run() }
        do {
            try await body()
        } catch {
            stop()
            await lanes.value
            print(table())
            throw error
        }
        stop()
        await lanes.value
    }

    private func lane() async {
        while !state.withLock({ $0.stopped }) {
            if state.withLock({ $0.paused }) {
                try? await Task.sleep(for: .milliseconds(10))
                continue
            }
            let window = state.withLock { $0.window }
            let issued = await send([("grant_type", "client_credentials")], to: "/token")
            record(.token, window, issued.status, issued.elapsed, failed: issued.status != 200)
            guard issued.status == 200, let token = issued.json?["access_token"] as? String else {
                // A lane that just failed waits a moment, as a client would, instead of spinning.
                try? await Task.sleep(for: .milliseconds(50))
                continue
            }
            state.withLock { $0.tokens.append(AnsweredToken(token: token, window: window)) }
            let introspectedIn = state.withLock { $0.window }
            let introspected = await introspect(token)
            record(.introspection, introspectedIn, introspected.status, introspected.elapsed, failed: !introspected.active)
        }
    }

    private func record(_ request: Outcome.Request, _ sentIn: String, _ status: Int, _ elapsed: Duration, failed: Bool) {
        state.withLock {
            let window = $0.window != sentIn && $0.faults.contains($0.window) ? $0.window : sentIn
            $0.outcomes.append(Outcome(request: request, window: window, status: status, elapsed: elapsed, failed: failed))
        }
    }

    /// Introspects a token through the load balancer, as the service.
    func introspect(_ token: String) async -> (status: Int, active: Bool, elapsed: Duration) {
        let answer = await send([("token", token)], to: "/introspect")
        return (answer.status, answer.status == 200 && answer.json?["active"] as? Bool == true, answer.elapsed)
    }

    private func send(_ form: [(String, String)], to path: String) async -> (status: Int, json: [String: Any]?, elapsed: Duration) {
        let credentials = Data("service:\(FlowClients.secrets["service"]!)".utf8).base64EncodedString()
        let started = ContinuousClock.now
        state.withLock { $0.inFlight += 1 }
        defer { state.withLock { $0.inFlight -= 1 } }
        guard let response = try? await TestHTTP.send(
            baseURL + path, method: .POST,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Authorization", "Basic \(credentials)")],
            body: OAuthDriver.query(form))
        else { return (0, nil, .now - started) }
        return (response.status, try? JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any], .now - started)
    }

    // MARK: - Reading the results

    func outcomes(in window: String) -> [Outcome] { state.withLock { $0.outcomes.filter { $0.window == window } } }

    func tokens(answeredIn windows: Set<String>) -> [String] {
        state.withLock { $0.tokens.filter { windows.contains($0.window) }.map(\.token) }
    }

    var windows: [String] { state.withLock { $0.windows } }

    /// Every outcome, in every window.
    var allOutcomes: [Outcome] { state.withLock { $0.outcomes } }

    /// The figures: requests sent and failed, in all and per window, with the failures' statuses.
    func table() -> String {
        func slowest(_ outcomes: [Outcome]) -> String {
            let elapsed = outcomes.map(\.elapsed).max() ?? .zero
            return String(format: "%.2f s", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        let rows = windows.map { window -> (String, Int, Int, String, String) in
            let outcomes = outcomes(in: window)
            let failed = outcomes.filter(\.failed)
            let statuses = Dictionary(grouping: failed, by: \.status).sorted { $0.key < $1.key }
                .map { "\($0.key == 0 ? "no answer" : String($0.key)) ×\($0.value.count)" }.joined(separator: ", ")
            return (window, outcomes.count, failed.count, slowest(outcomes), statuses)
        }
        let width = max(28, (rows.map(\.0.count).max() ?? 0) + 2)
        func pad(_ text: String, _ count: Int) -> String { text.padding(toLength: max(count, text.count), withPad: " ", startingAt: 0) }
        var lines = [pad("window", width) + pad("sent", 8) + pad("failed", 8) + pad("slowest", 10) + "failures"]
        for (window, sent, failed, slowest, statuses) in rows {
            lines.append(pad(window, width) + pad("\(sent)", 8) + pad("\(failed)", 8) + pad(slowest, 10) + statuses)
        }
        let all = allOutcomes
        lines.append(pad("all", width) + pad("\(all.count)", 8) + pad("\(all.filter(\.failed).count)", 8) + slowest(all))
        return lines.joined(separator: "\n")
    }
}
