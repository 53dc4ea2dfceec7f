/// How long to wait before replacing a worker that died, from the Node original: the more
/// recently the previous one died, the longer, so a crash loop does not spin the CPU.
struct RestartBackoff {
    private var lastDeath: ContinuousClock.Instant?

    /// The delay for a death happening `now`, which is then remembered.
    mutating func delay(forDeathAt now: ContinuousClock.Instant) -> Duration {
        defer { lastDeath = now }
        guard let lastDeath else { return .zero }
        return Self.delay(sinceLastDeath: now - lastDeath)
    }

    static func delay(sinceLastDeath elapsed: Duration) -> Duration {
        switch elapsed {
        case .seconds(8)...: .zero
        case .seconds(4)...: .milliseconds(250)
        case .seconds(2)...: .milliseconds(500)
        case .seconds(1)...: .milliseconds(1000)
        default: .milliseconds(2000)
        }
    }
}
