import Crypto
import Foundation
import SharedPlatform

/// A PKCE code challenge (RFC 7636), stored with the code it was sent with and checked against
/// the verifier at the token endpoint: proof that whoever redeems the code started the request.
package struct PKCEChallenge: Codable, Sendable, Equatable {
    package enum Method: String, Codable, Sendable {
        case s256 = "S256"
        case plain
    }

    package let challenge: String
    package let method: Method

    /// Reads `code_challenge` and `code_challenge_method` from an authorization request; nil
    /// when neither is present. "plain" is accepted only where the client's config allows it.
    package static func from(challenge: String?, method: String?, allowPlain: Bool) throws(OAuthError) -> PKCEChallenge? {
        guard let challenge else {
            if method != nil { throw .invalidRequest("code_challenge_method without code_challenge") }
            return nil
        }
        guard let parsed = Method(rawValue: method ?? "plain") else {
            throw .invalidRequest("code_challenge_method must be S256")
        }
        if parsed == .plain && !allowPlain { throw .invalidRequest("code_challenge_method must be S256 (plain is not allowed for this client)") }
        guard isVerifierShaped(challenge) else {
            throw .invalidRequest("code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~")
        }
        return PKCEChallenge(challenge: challenge, method: parsed)
    }

    /// Whether `verifier` is the secret this challenge was made from, compared in constant time.
    package func isSatisfied(by verifier: String) -> Bool {
        guard Self.isVerifierShaped(verifier) else { return false }
        let expected: String
        switch method {
        case .s256: expected = Base64URL.encode(Array(SHA256.hash(data: Array(verifier.utf8))))
        case .plain: expected = verifier
        }
        return Data(expected.utf8).constantTimeEquals(Data(challenge.utf8))
    }

    /// RFC 7636 4.1: 43 to 128 unreserved characters.
    static func isVerifierShaped(_ value: String) -> Bool {
        (43...128).contains(value.utf8.count)
            && value.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                    true
                default: false
                }
            }
    }
}
