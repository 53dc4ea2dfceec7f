import Crypto

/// Tokens and codes are stored under the SHA-256 of their value, never in clear, so a copy of
/// the database or a Redis dump holds nothing that can be presented to the server.
public enum TokenHash {
    public static func of(_ token: some StringProtocol) -> String {
        SHA256.hash(data: Array(token.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
