/// `auth_server.throttling`: how many failed client authentications and sign-ins an address may
/// make before it has to wait, and how the waits grow. Counters live in a storage group, so
/// every worker and every host sharing that store counts together.
public struct ThrottlingConfig: Sendable, Equatable {
    public var enabled: Bool
    /// The storage group that keeps the counters (its backend, not its `ttl`, matters).
    public var group: String
    /// Failed client authentications at /token, /introspect and /revoke per client_id and address.
    public var clientFailures: Int
    /// Failed sign-ins per username and address.
    public var loginFailuresPerUser: Int
    /// Failed sign-ins per address, whatever the username (credential stuffing).
    public var loginFailuresPerAddress: Int
    /// A counter starts again after this long without a failure.
    public var windowSeconds: Double
    /// The wait once a budget is spent, multiplied by `growth` for each further failure, up to `longestWaitSeconds`.
    public var firstWaitSeconds: Double
    public var growth: Double
    public var longestWaitSeconds: Double

    init(reader: inout ConfigReader) {
        let key = { (name: String) in ConfigKeyPath(["auth_server", "throttling", name]) }
        enabled = reader.bool(key("enabled"), default: true)
        group = reader.string(key("group"), default: "session")
        clientFailures = reader.integer(key("client_failures"), default: 10, in: 1...1_000_000)
        loginFailuresPerUser = reader.integer(key("login_failures_per_user"), default: 5, in: 1...1_000_000)
        loginFailuresPerAddress = reader.integer(key("login_failures_per_address"), default: 50, in: 1...1_000_000)
        windowSeconds = reader.seconds(key("window_seconds"), default: 3600, minimum: 1)
        firstWaitSeconds = reader.seconds(key("first_wait_seconds"), default: 2, minimum: 0.1)
        growth = reader.seconds(key("growth"), default: 2, minimum: 1)
        longestWaitSeconds = reader.seconds(key("longest_wait_seconds"), default: 900, minimum: 0.1)
        if !StorageConfig.groups.contains(group) || group == "audit" {
            let choices = StorageConfig.groups.filter { $0 != "audit" }.joined(separator: ", ")
            reader.fail(key("group"), "must be one of the storage groups \(choices), not \"\(group)\"")
        }
        if longestWaitSeconds < firstWaitSeconds {
            reader.fail(key("longest_wait_seconds"), "must be at least first_wait_seconds (\(firstWaitSeconds))")
        }
        if windowSeconds < longestWaitSeconds {
            // A counter forgotten during a wait would hand a patient guesser a fresh budget.
            reader.fail(key("window_seconds"), "must be at least longest_wait_seconds (\(longestWaitSeconds))")
        }
    }
}
