/// One RESP2 reply from Redis, as hiredis 0.14 decodes it.
package enum RedisReply: Sendable, Equatable, Hashable {
    /// A simple string reply such as `OK` or `PONG`.
    case status(String)
    /// An error reply nested in an array (for example one result of a script or `EXEC`). A top-level error
    /// reply never arrives as a value: `RedisClient.send` throws it as `RedisClientError.Kind.serverError`.
    case error(String)
    case integer(Int64)
    /// A bulk string: binary-safe bytes, or nil for Redis's nil reply (a missing key).
    /// hiredis 0.14 reports a nil array (`*-1`, e.g. a `BLPOP` that timed out) as this nil too.
    case bulk([UInt8]?)
    /// A multi-bulk reply. With hiredis 0.14 the payload is never nil (see `bulk`); the optional
    /// keeps the shape of the protocol should the decoder ever tell the two nils apart.
    case array([RedisReply]?)
}
