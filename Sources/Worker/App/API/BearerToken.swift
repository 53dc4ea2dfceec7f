import Hummingbird

/// The access token of a request, from its `Authorization: Bearer` header (RFC 6750 2.1).
/// Tokens in query strings are not accepted: they end up in logs and Referer headers (RFC 9700).
enum BearerToken {
    enum Outcome: Equatable {
        case none
        case malformed
        case token(String)
    }

    static func from(_ request: Request) -> Outcome {
        guard let header = request.headers[.authorization] else { return .none }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, HeaderText.equalsIgnoringCase(parts[0], "bearer") else {
            // Another scheme (Basic, …) is no bearer token at all.
            return parts.count == 2 && !parts[0].isEmpty ? .none : .malformed
        }
        let token = HeaderText.trimmed(parts[1])
        // token68: the characters a bearer token may contain.
        guard !token.isEmpty, token.utf8.count <= 4096, token.utf8.allSatisfy(isToken68) else { return .malformed }
        return .token(String(token))
    }

    private static func isToken68(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="): true
        default: false
        }
    }
}
