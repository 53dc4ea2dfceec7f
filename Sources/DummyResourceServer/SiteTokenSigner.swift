import Crypto
import Foundation

/// Issues and checks the stub website's login tokens without storing them:
/// `base64url(username) "." hex(HMAC-SHA256(key, username))`. A restart with the same secret
/// keeps every token valid; tokens never expire (this is a stub).
struct SiteTokenSigner: Sendable {
    /// The secret used when none is given: fine for demos and tests, forgeable by anyone with the source.
    static let developmentSecret = "dummy-resource-server development secret (stub, do not deploy)"

    private let key: SymmetricKey

    /// Derives the signing key from `secret` once.
    init(secret: String) {
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(secret.utf8)),
            info: Data("dummy-resource-server site token v1".utf8),
            outputByteCount: 32
        )
    }

    func issue(for username: String) -> String {
        let name = Data(username.utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: name, using: key)
        return Self.base64URL(name) + "." + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// The username `token` was issued for, or nil when it was not issued with this key.
    /// The signature is compared in constant time.
    func username(in token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let name = Self.data(base64URL: parts[0]), let mac = Self.data(hex: parts[1]),
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: name, using: key)
        else { return nil }
        return String(data: name, encoding: .utf8)
    }

    private static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func data(base64URL text: Substring) -> Data? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }

    private static func data(hex text: Substring) -> Data? {
        guard text.count.isMultiple(of: 2), text.allSatisfy(\.isHexDigit) else { return nil }
        var bytes = Data(capacity: text.count / 2)
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
