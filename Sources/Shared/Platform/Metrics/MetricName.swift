/// The name of every metric the server exports, with what it means: the one list the workers,
/// the supervisor, the scrape's HELP lines and docs/operators.md agree on.
package enum MetricName {
    // Workers (combined by the supervisor).
    package static let httpRequests = "oauth2_http_requests_total"
    package static let httpRequestDuration = "oauth2_http_request_duration_seconds"
    package static let tokensIssued = "oauth2_tokens_issued_total"
    package static let tokenErrors = "oauth2_token_errors_total"
    package static let clientAuthFailures = "oauth2_client_auth_failures_total"
    package static let logins = "oauth2_logins_total"
    package static let throttled = "oauth2_throttled_total"
    package static let storageOperationDuration = "oauth2_storage_operation_duration_seconds"
    package static let storageOutages = "oauth2_storage_outages_total"
    // The supervisor's own.
    package static let workers = "oauth2_workers"
    package static let workerRestarts = "oauth2_worker_restarts_total"
    package static let reloads = "oauth2_reloads_total"
    package static let buildInfo = "oauth2_build_info"

    /// The HELP line of each worker metric.
    package static let help: [String: String] = [
        httpRequests: "HTTP requests answered, by route pattern, method and status.",
        httpRequestDuration: "Time to answer an HTTP request, by route pattern.",
        tokensIssued: "Access tokens issued, by grant type and client.",
        tokenErrors: "Token requests refused, by RFC 6749 error code.",
        clientAuthFailures: "Failed client authentications at /token, /revoke and /introspect.",
        logins: "Sign-in attempts, by result.",
        throttled: "Requests refused because failed attempts spent their budget, by kind.",
        storageOperationDuration: "Time of each storage operation, by backend, group and operation.",
        storageOutages: "Times a storage group stopped answering.",
    ]
}
