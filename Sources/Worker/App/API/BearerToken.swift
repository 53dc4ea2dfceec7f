import Foundation
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
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            // Another scheme (Basic, …) is no bearer token at all.
            return parts.count == 2 && !parts[0].isEmpty ? .none : .malformed
        }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        // token68: the characters a bearer token may contain.
        guard !token.isEmpty, token.utf8.count <= 4096, token.allSatisfy(isToken68) else { return .malformed }
        return .token(String(token))
    }

    private static func isToken68(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "-._~+/=".contains(character))
    }
}
