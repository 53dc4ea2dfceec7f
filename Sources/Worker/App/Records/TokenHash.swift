import Crypto
import SharedPlatform

/// Tokens and codes are stored under the SHA-256 of their value, never in clear, so a copy of
/// the database or a Redis dump holds nothing that can be presented to the server.
package enum TokenHash {
    package static func of(_ token: some StringProtocol) -> String {
        var text = String(token)
        // Hashed where the string keeps its bytes, without copying them into an array first.
        return text.withUTF8 { Hex.encode(SHA256.hash(data: UnsafeRawBufferPointer($0))) }
    }
}
