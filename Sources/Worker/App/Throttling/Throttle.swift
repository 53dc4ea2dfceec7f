import Foundation
import Logging
import SharedPlatform
import SharedStorage
import Synchronization

/// What is being guessed, from where: the counter a failure adds to.
struct ThrottleKey: Sendable, Hashable {
    enum Kind: String, Sendable, CaseIterable {
        /// A client's secret, at /token, /introspect and /revoke.
        case client
        /// One user's password.
        case loginUser = "login-user"
        /// Any password from one address (credential stuffing).
        case loginAddress = "login-address"
    }

    let kind: Kind
    /// For logs and the audit trail: what is throttled, never the password.
    let shown: String
    /// The key as stored: hashed (once, it is looked up several times a request), so the store
    /// holds no usernames or addresses.
    let stored: String

    private init(kind: Kind, subject: String, shown: String) {
        self.kind = kind
        self.shown = shown
        self.stored = "throttle:" + TokenHash.of("\(kind.rawValue)\u{0}\(subject)")
    }

    static func client(_ clientID: String, address: String) -> ThrottleKey {
        let prefix = ClientAddress.throttlingPrefix(address)
        return ThrottleKey(kind: .client, subject: "\(clientID)\u{0}\(prefix)", shown: "client \(clientID) from \(prefix)")
    }

    static func loginUser(_ username: String, address: String) -> ThrottleKey {
        let prefix = ClientAddress.throttlingPrefix(address)
        return ThrottleKey(kind: .loginUser, subject: "\(username.lowercased())\u{0}\(prefix)", shown: "sign-ins from \(prefix) for one user")
    }

    static func loginAddress(_ address: String) -> ThrottleKey {
        let prefix = ClientAddress.throttlingPrefix(address)
        return ThrottleKey(kind: .loginAddress, subject: prefix, shown: "sign-ins from \(prefix)")
    }
}

/// Budgets of failures per key, counted in a storage group that every worker and host shares
/// (`auth_server.throttling`). A spent budget means a wait, growing while the failures go on;
/// a success clears the key's counter. Checks run before the request does any costly work
/// (hashing a secret, asking the site). If the store is down, each worker counts on its own
/// with its share of each budget, and says so once.
final class Throttle: Sendable {
    /// Go ahead (telling whether a success has a counter to clear), or wait.
    enum Decision: Sendable, Equatable {
        case proceed(hasFailures: Bool)
        case wait(Duration)
    }

    private let config: ThrottlingConfig
    private let store: any RecordStore
    private let audit: any AuditLog
    private let logger: Logger
    private let workerCount: Int
    private let metrics: OAuthMetrics
    private let local = Mutex<[String: FailureCount]>([:])
    private let countingLocally = Atomic<Bool>(false)
    /// When each key was last logged as throttled, so a guessing run is logged once per window.
    private let logged = Mutex<[String: Int64]>([:])
    /// Keys that just succeeded here, and until when that is trusted without asking the store.
    /// A client calling /token or /introspect many times a second would otherwise cost a
    /// storage read on every call (a third of an introspection's throughput). A guesser's key
    /// never succeeds, so it is always checked; if guessing starts from the very address a
    /// working client uses, this worker learns of it from the first failure it counts, and
    /// other workers within `cleanFor` (one more guess each, at most).
    private let clean = Mutex<[String: Int64]>([:])
    private static let cleanFor: Int64 = 1000

    init(
        config: ThrottlingConfig, store: any RecordStore, audit: any AuditLog, workerCount: Int,
        metrics: OAuthMetrics, logger: Logger
    ) {
        self.config = config
        self.metrics = metrics
        self.store = store
        self.audit = audit
        self.workerCount = max(1, workerCount)
        self.logger = logger
    }

    private var window: Int64 { Int64(config.windowSeconds * 1000) }

    func budget(_ kind: ThrottleKey.Kind, local: Bool = false) -> Int {
        let budget: Int
        switch kind {
        case .client: budget = config.clientFailures
        case .loginUser: budget = config.loginFailuresPerUser
        case .loginAddress: budget = config.loginFailuresPerAddress
        }
        return local ? max(1, budget / workerCount) : budget
    }

    /// Whether `key` may try now.
    func check(_ key: ThrottleKey) async -> Decision {
        guard config.enabled else { return .proceed(hasFailures: false) }
        let now = Date().storageMilliseconds
        if clean.withLock({ ($0[key.stored] ?? 0) > now }) { return .proceed(hasFailures: false) }
        let (found, isLocal) = await counted(shared: { try await self.store.failures(key.stored) }, local: { self.localFailures(key) })
        guard let found else { return .proceed(hasFailures: false) }
        if let wait = remainingWait(after: found, budget: budget(key.kind, local: isLocal)) {
            metrics.throttled(key.kind)
            return .wait(wait)
        }
        return .proceed(hasFailures: true)
    }

    /// Counts a failure for `key`; the wait it earned, if its budget is now spent.
    @discardableResult
    func failed(_ key: ThrottleKey) async -> Duration? {
        guard config.enabled else { return nil }
        let now = Date().storageMilliseconds
        _ = clean.withLock { $0.removeValue(forKey: key.stored) }
        let (count, isLocal) = await counted(
            shared: { try await self.store.countFailure(key.stored, now: now, window: self.window) },
            local: { self.countLocally(key, now: now) })
        guard let wait = remainingWait(after: count, budget: budget(key.kind, local: isLocal)) else { return nil }
        let seconds = Self.wholeSeconds(wait)
        if shouldLog(key, now: now) {
            logger.warning("throttled \(key.shown) after \(count.count) failures: waits of \(seconds) s and longer until the failures stop")
        }
        try? await audit.append(AuditRecord(
            event: "throttled", detail: "\(key.shown): \(count.count) failures, next try in \(seconds) s"))
        return wait
    }

    /// A success: the key starts again with its whole budget.
    func succeeded(_ key: ThrottleKey, hadFailures: Bool) async {
        guard config.enabled else { return }
        let now = Date().storageMilliseconds
        clean.withLock { clean in
            if clean.count > 10_000 { clean = clean.filter { $0.value > now } }
            clean[key.stored] = now + Self.cleanFor
        }
        guard hadFailures else { return }
        _ = local.withLock { $0.removeValue(forKey: key.stored) }
        try? await store.clearFailures(key.stored)
    }

    /// The wait a key with `count` failures still has, if any.
    func remainingWait(after count: FailureCount, budget: Int) -> Duration? {
        guard count.count >= budget else { return nil }
        let over = Double(count.count - budget)
        let seconds = min(config.firstWaitSeconds * pow(config.growth, over), config.longestWaitSeconds)
        let left = count.last + Int64(seconds * 1000) - Date().storageMilliseconds
        return left > 0 ? .milliseconds(left) : nil
    }

    /// Whole seconds to tell a client (Retry-After), never 0.
    static func wholeSeconds(_ wait: Duration) -> Int {
        let (seconds, attoseconds) = wait.components
        return max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0))
    }

    // MARK: - The shared store, or this worker's own counters while it is down

    private func counted<T: Sendable>(shared: @Sendable () async throws -> T, local: () -> T) async -> (T, isLocal: Bool) {
        do {
            let value = try await shared()
            if countingLocally.exchange(false, ordering: .relaxed) {
                logger.notice("throttling counts in storage group \(config.group) again")
            }
            return (value, false)
        } catch {
            if !countingLocally.exchange(true, ordering: .relaxed) {
                logger.warning(
                    "throttling cannot reach storage group \(config.group) (\(error)): each worker counts failures on its own, with 1/\(workerCount) of each budget, until it is back")
            }
            return (local(), true)
        }
    }

    private func localFailures(_ key: ThrottleKey) -> FailureCount? {
        local.withLock { counters in
            guard let found = counters[key.stored], Date().storageMilliseconds - found.last <= window else { return nil }
            return found
        }
    }

    private func countLocally(_ key: ThrottleKey, now: Int64) -> FailureCount {
        local.withLock { counters in
            if counters.count > 100_000 { counters = counters.filter { now - $0.value.last <= window } }
            let previous = counters[key.stored].flatMap { now - $0.last <= window ? $0.count : nil } ?? 0
            let count = FailureCount(count: previous + 1, last: now)
            counters[key.stored] = count
            return count
        }
    }

    private func shouldLog(_ key: ThrottleKey, now: Int64) -> Bool {
        logged.withLock { seen in
            if let last = seen[key.stored], now - last < window { return false }
            if seen.count > 10_000 { seen = seen.filter { now - $0.value < window } }
            seen[key.stored] = now
            return true
        }
    }
}
