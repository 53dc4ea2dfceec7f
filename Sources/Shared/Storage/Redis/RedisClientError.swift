/// Why a Redis command failed. `kind` is what a caller branches on (retry later, or report a bug
/// or a misconfiguration); `message` is for logs and never contains the password.
package struct RedisClientError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Kind: Sendable, Equatable {
        /// Redis cannot be reached: connecting failed or timed out, the connection was lost with
        /// the command in flight, or the client is shut down. The client reconnects by itself on a
        /// later command, so this is a "try again later".
        case unavailable
        /// No reply within the command timeout. The connection was closed (its replies can no
        /// longer be matched to commands); commands queued behind the late one fail the same way.
        case timeout
        /// Redis answered with an error reply (`WRONGTYPE …`, `ERR …`), or refused the connection's
        /// `AUTH` or `SELECT` (a wrong password, a database that does not exist).
        case serverError
        /// Redis sent something hiredis cannot parse; the connection was closed.
        case protocolError
    }

    package let kind: Kind
    package let message: String

    package init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String {
        switch kind {
        case .unavailable: "Redis unavailable: \(message)"
        case .timeout: "Redis timeout: \(message)"
        case .serverError: "Redis error reply: \(message)"
        case .protocolError: "Redis protocol error: \(message)"
        }
    }
}
