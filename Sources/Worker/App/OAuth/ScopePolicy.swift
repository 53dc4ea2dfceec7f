/// How requested scopes become granted ones, given the site's scopes (lowest first) and the
/// OpenID Connect scopes, which are known beside them.
public struct ScopePolicy: Sendable {
    public let siteScopes: [String]

    public init(siteScopes: [String]) { self.siteScopes = siteScopes }

    /// The seed's rule for authorization requests: an unknown scope (or "*") falls to the lowest,
    /// duplicates are dropped, and no scope at all means the lowest. Never fails, never widens.
    public func forAuthorization(_ requested: [String]) -> [String] {
        guard let lowest = siteScopes.first else { return [] }
        var granted: [String] = []
        for scope in requested.isEmpty ? [lowest] : requested {
            let known = siteScopes.contains(scope) || OpenIDScopes.all.contains(scope) ? scope : lowest
            if !granted.contains(known) { granted.append(known) }
        }
        return granted
    }

    /// What a user approved on the consent page: the posted scope may narrow what the page
    /// showed, never widen it; nothing usable left means what the page showed.
    public func approved(posted: [String], offered: [String]) -> [String] {
        let kept = offered.filter(posted.contains)
        return kept.isEmpty ? offered : kept
    }

    /// Splits a space-separated scope parameter (RFC 6749 3.3).
    public static func parse(_ parameter: String?) -> [String] {
        (parameter ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
    }
}
