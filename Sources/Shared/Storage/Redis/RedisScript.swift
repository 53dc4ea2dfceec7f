import Crypto
import SharedPlatform

/// A Lua script run by its SHA-1 (`EVALSHA`), so each call sends 40 bytes instead of the script
/// and Redis looks it up instead of hashing it again. A server that does not have it yet (a
/// restart, a failover, `SCRIPT FLUSH`) answers `NOSCRIPT`; the call then sends the script
/// itself once (`EVAL`), which also caches it there.
package struct RedisScript: Sendable {
    let source: [UInt8]
    let sha1: [UInt8]

    package init(_ source: String) {
        self.source = Array(source.utf8)
        sha1 = Array(Hex.encode(Insecure.SHA1.hash(data: self.source)).utf8)
    }

    /// `EVALSHA sha1 numkeys keys... arguments...`
    func evalSHA(keys: [[UInt8]], arguments: [[UInt8]]) -> [[UInt8]] {
        [Array("EVALSHA".utf8), sha1, Array(String(keys.count).utf8)] + keys + arguments
    }

    /// `EVAL script numkeys keys... arguments...`
    func eval(keys: [[UInt8]], arguments: [[UInt8]]) -> [[UInt8]] {
        [Array("EVAL".utf8), source, Array(String(keys.count).utf8)] + keys + arguments
    }

    /// Runs the script through `send` (a plain command or a write with its `WAIT`), by its hash
    /// first and by its text when the server does not know it.
    func run(
        keys: [[UInt8]], arguments: [[UInt8]], through send: ([[UInt8]]) async throws -> RedisReply
    ) async throws -> RedisReply {
        do {
            return try await send(evalSHA(keys: keys, arguments: arguments))
        } catch let error as RedisClientError where error.kind == .serverError && error.message.hasPrefix("NOSCRIPT") {
            return try await send(eval(keys: keys, arguments: arguments))
        }
    }
}
