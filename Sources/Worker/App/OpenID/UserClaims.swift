/// Which of a user's claims a client sees (OpenID Connect Core 1.0, 5.4): `sub` always, the
/// profile claims with the `profile` scope, `email` with the `email` scope.
enum UserClaims {
    static let profileClaims: Set<String> = [
        "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username", "picture", "website", "locale",
        "zoneinfo",
    ]
    static let emailClaims: Set<String> = ["email", "email_verified"]

    /// Every claim this provider can release, for discovery's `claims_supported`.
    static let supported = ["sub"] + profileClaims.sorted() + emailClaims.sorted()

    static func released(_ claims: [String: String], subject: String, scope: [String]) -> [String: String] {
        var visible: Set<String> = []
        if scope.contains("profile") { visible.formUnion(profileClaims) }
        if scope.contains("email") { visible.formUnion(emailClaims) }
        var released = claims.filter { visible.contains($0.key) }
        released["sub"] = subject
        return released
    }

    /// Writes released claims into a JSON object: `email_verified` as the boolean Core 5.1
    /// defines, every other claim as the string the site gave.
    static func encode(_ claims: [String: String], into container: inout KeyedEncodingContainer<ClaimName>) throws {
        for (name, value) in claims {
            if name == "email_verified" { try container.encode(value == "true", forKey: ClaimName(name)) } else { try container.encode(value, forKey: ClaimName(name)) }
        }
    }

    /// A plausible e-mail address: one @, something before it, a dot in a non-empty domain after it.
    static func isEmailAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !text.contains(where: { $0.isWhitespace }) else { return false }
        let domain = parts[1]
        return domain.contains(".") && !domain.hasPrefix(".") && !domain.hasSuffix(".")
    }
}
