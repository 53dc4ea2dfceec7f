/// Polls `condition` every `interval` until it holds or `timeout` passes; returns whether it held.
/// Tests wait this way for what they can observe (a log line, a file, an answer), never for a
/// fixed time: on a loaded machine a fixed sleep is too short, on an idle one too long.
package func eventually(
    timeout: Duration = .seconds(10), interval: Duration = .milliseconds(50), _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}
