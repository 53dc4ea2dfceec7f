/// `auth_server.throttling`: how many failed client authentications and sign-ins an address may
/// make before it has to wait, and how the waits grow. Counters live in a storage group, so
/// every worker and every host sharing that store counts together.
package struct ThrottlingConfig: Sendable, Equatable {
    package var enabled: Bool
    /// The storage group that keeps the counters (its backend, not its `ttl`, matters).
    package var group: StorageGroup
    /// Failed client authentications at /token, /introspect and /revoke per client_id and address.
    package var clientFailures: Int
    /// Failed sign-ins per username and address.
    package var loginFailuresPerUser: Int
    /// Failed sign-ins per address, whatever the username (credential stuffing).
    package var loginFailuresPerAddress: Int
    /// A counter starts again after this long without a failure.
    package var windowSeconds: Double
    /// The wait once a budget is spent, multiplied by `growth` for each further failure, up to `longestWaitSeconds`.
    package var firstWaitSeconds: Double
    package var growth: Double
    package var longestWaitSeconds: Double

    init(reader: inout ConfigReader) {
        enabled = reader.read(Settings.Throttling.enabled)
        group = reader.read(Settings.Throttling.group)
        clientFailures = reader.read(Settings.Throttling.clientFailures)
        loginFailuresPerUser = reader.read(Settings.Throttling.loginFailuresPerUser)
        loginFailuresPerAddress = reader.read(Settings.Throttling.loginFailuresPerAddress)
        windowSeconds = reader.read(Settings.Throttling.windowSeconds)
        firstWaitSeconds = reader.read(Settings.Throttling.firstWaitSeconds)
        growth = reader.read(Settings.Throttling.growth)
        longestWaitSeconds = reader.read(Settings.Throttling.longestWaitSeconds)
        if longestWaitSeconds < firstWaitSeconds {
            reader.fail(Settings.Throttling.longestWaitSeconds.key, "must be at least first_wait_seconds (\(firstWaitSeconds))")
        }
        if windowSeconds < longestWaitSeconds {
            // A counter forgotten during a wait would hand a patient guesser a fresh budget.
            reader.fail(Settings.Throttling.windowSeconds.key, "must be at least longest_wait_seconds (\(longestWaitSeconds))")
        }
    }
}
