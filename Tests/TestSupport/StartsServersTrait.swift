import Testing

/// Marks a suite that starts servers or other processes. Such suites run one at a time across
/// every test target, while in-process suites still run beside them: the machine has two cores,
/// and these suites wait on wall-clock deadlines (a server's start, a TTL, a failover, a worker's
/// heartbeat) that a neighbour's load would make them miss.
package struct StartsServersTrait: SuiteTrait, TestScoping {
    package var isRecursive: Bool { false }

    package func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        await ServerSuiteTurn.shared.take()
        do {
            try await function()
        } catch {
            await ServerSuiteTurn.shared.pass()
            throw error
        }
        await ServerSuiteTurn.shared.pass()
    }
}

extension Trait where Self == StartsServersTrait {
    /// The suite starts servers: it runs while no other such suite does.
    package static var startsServers: Self { Self() }
}

/// Whose turn it is among the suites that start servers; the others wait in order of arrival.
private actor ServerSuiteTurn {
    static let shared = ServerSuiteTurn()
    private var taken = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func take() async {
        guard taken else {
            taken = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func pass() {
        if waiting.isEmpty {
            taken = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
