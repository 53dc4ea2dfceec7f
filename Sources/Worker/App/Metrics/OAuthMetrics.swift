import CoreMetrics
import SharedPlatform
import Synchronization

/// What the OAuth endpoints count: tokens issued, token requests refused, failed client
/// authentications, sign-ins and throttled attempts. Handles are made once (a series on its
/// first use); label values come from fixed lists or the clients file, never from a request.
final class OAuthMetrics: Sendable {
    /// The `result` of a sign-in attempt.
    enum LoginResult: String, CaseIterable, Sendable {
        case success
        /// The site said the credentials are wrong.
        case rejected
        /// Refused before the site was asked: too many failures.
        case throttled
        /// The site could not be asked.
        case unavailable
    }

    private struct Issued: Hashable {
        let grantType: String
        let clientID: String
    }

    /// RFC 6749 5.2's codes; anything else is counted as `other`.
    static let errorCodes: Set<String> = [
        "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope",
    ]
    /// More clients than any clients file holds: past it, new ones are `other`.
    static let clientLimit = 10_000

    private let factory: any MetricsFactory
    private let issued = Mutex<[Issued: Counter]>([:])
    private let errors: [String: Counter]
    private let clientAuthFailures: Counter
    private let logins: [LoginResult: Counter]
    private let throttled: [ThrottleKey.Kind: Counter]

    init(factory: any MetricsFactory) {
        self.factory = factory
        errors = Dictionary(uniqueKeysWithValues: (Array(Self.errorCodes) + ["other"]).map {
            ($0, Counter(label: MetricName.tokenErrors, dimensions: [("error", $0)], factory: factory))
        })
        clientAuthFailures = Counter(label: MetricName.clientAuthFailures, factory: factory)
        logins = Dictionary(uniqueKeysWithValues: LoginResult.allCases.map {
            ($0, Counter(label: MetricName.logins, dimensions: [("result", $0.rawValue)], factory: factory))
        })
        throttled = Dictionary(uniqueKeysWithValues: ThrottleKey.Kind.allCases.map {
            ($0, Counter(label: MetricName.throttled, dimensions: [("kind", $0.rawValue)], factory: factory))
        })
    }

    /// A token issued to `client`, which authenticated against (so comes from) the clients file.
    func tokenIssued(grantType: String, client: RegisteredClient) {
        let key = Issued(grantType: grantType, clientID: client.clientID)
        let counter = issued.withLock { issued in
            if let found = issued[key] { return found }
            let bounded = issued.count < Self.clientLimit ? key : Issued(grantType: grantType, clientID: "other")
            let counter = issued[bounded] ?? Counter(
                label: MetricName.tokensIssued, dimensions: [("grant_type", bounded.grantType), ("client_id", bounded.clientID)],
                factory: factory)
            issued[bounded] = counter
            return counter
        }
        counter.increment()
    }

    func tokenRefused(_ error: String) { (errors[error] ?? errors["other"]!).increment() }

    func clientAuthenticationFailed() { clientAuthFailures.increment() }

    func login(_ result: LoginResult) { logins[result]!.increment() }

    func throttled(_ kind: ThrottleKey.Kind) { throttled[kind]!.increment() }
}
