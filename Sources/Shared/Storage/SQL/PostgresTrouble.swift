import PostgresNIO

/// What a failed query says about the server the pool is connected to.
enum PostgresTrouble: Sendable, Comparable {
    /// The call gave up (its time ran out) or failed in a way that names no cause: the server
    /// may be gone or only slow. A fresh connection is asked before the pool is replaced.
    case suspect
    /// The connection was lost, or the server is shutting down, starting up, or no longer takes
    /// writes (a failover demoted it, or the address now leads to a standby): the pool must
    /// go, and the hosts be asked again for the primary.
    case lost

    /// SQLSTATEs (PostgreSQL's appendix A) that mean "not here, not now": 25006
    /// read_only_sql_transaction, 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03
    /// cannot_connect_now; class 08 is connection exceptions.
    private static let lostStates: Set<String> = ["25006", "57P01", "57P02", "57P03"]
    /// The client's own codes for a connection that failed, closed or was never made.
    private static let lostCodes: [PSQLError.Code] = [
        .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
    ]

    /// Nil when the server answered the query with an error of its own (a constraint, a bad
    /// statement): that says nothing about where the pool is connected.
    init?(_ error: any Error, cancelled: Bool) {
        switch error {
        case let error as PSQLError where error.code == .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            guard Self.lostStates.contains(state) || state.hasPrefix("08") else { return nil }
            self = .lost
        case let error as PSQLError where Self.lostCodes.contains(error.code):
            self = .lost
        case is PSQLError, is PostgresDecodingError:
            guard cancelled else { return nil }
            self = .suspect
        default:
            self = .suspect
        }
    }

    /// A short reason for logs and errors. PSQLError's own description is a fixed text (it
    /// hides details from end users); the server's message or the socket's error says more.
    static func reason(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] {
            return [error.serverInfo?[.severity], message].compactMap { $0 }.joined(separator: ": ")
                + (error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
        }
        if let underlying = error.underlying { return "\(underlying)" }
        return "\(error.code)"
    }
}
