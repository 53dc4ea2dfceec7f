import Foundation
import Hummingbird
import HummingbirdCore
import HTTPTypes
import Logging
import NIOCore
import SharedPlatform

/// Writes the Node original's access-log line for every request at notice level:
/// `remote method path auth status bytes session ms`, with anything that grants access shortened.
struct AccessLog: Sendable {
    let logger: Logger
    /// Trust X-Real-IP / X-Forwarded-For for the client address (only behind our own proxy).
    let behindProxy: Bool

    /// Query parameters whose values are credentials; only their shortened form is logged.
    static let secretParameters: Set<String> = [
        "code", "token", "access_token", "refresh_token", "password", "client_secret", "code_verifier", "id_token_hint",
    ]

    func log(_ request: Request, context: WorkerRequestContext, status: Int, bytes: Int?, elapsed: Duration) {
        guard logger.logLevel <= .notice else { return }
        let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        let fields = [
            ClientAddress.of(request, context: context, behindProxy: behindProxy),
            request.method.rawValue,
            Self.redactedTarget(request.uri),
            authorization(request),
            String(status),
            bytes.map { "\($0) bytes" } ?? "-",
            request.cookies["sid"].map { Redaction.sessionID($0.value) } ?? "(no session)",
            String(format: "%.1f ms", milliseconds),
        ]
        logger.notice("\(fields.joined(separator: " "))")
    }

    private func authorization(_ request: Request) -> String {
        guard let header = request.headers[.authorization] else { return "-" }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard let scheme = parts.first else { return "-" }
        if scheme.lowercased() == "bearer", parts.count == 2 { return "Bearer \(Redaction.shortened(parts[1]))" }
        return String(scheme)
    }

    /// The path and query, with credential-bearing parameters shortened.
    static func redactedTarget(_ uri: URI) -> String {
        guard let query = uri.query, !query.isEmpty else { return uri.path }
        let pairs = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, secretParameters.contains(String(parts[0]).removingPercentEncoding ?? "") else {
                return String(pair)
            }
            return "\(parts[0])=\(Redaction.shortened(parts[1]))"
        }
        return "\(uri.path)?\(pairs.joined(separator: "&"))"
    }
}
