/// How requested scopes become granted ones, given the site's scopes (lowest first) and the
/// OpenID Connect scopes, which are known beside them.
package struct ScopePolicy: Sendable {
    package let siteScopes: [String]

    package init(siteScopes: [String]) { self.siteScopes = siteScopes }

    /// The Node original's rule for authorization requests: an unknown scope (or "*") falls to the lowest,
    /// duplicates are dropped, and no scope at all means the lowest. Never fails, never widens.
    package func forAuthorization(_ requested: [String]) -> [String] {
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
    package func approved(posted: [String], offered: [String]) -> [String] {
        let kept = offered.filter(posted.contains)
        return kept.isEmpty ? offered : kept
    }

    /// Splits a space-separated scope parameter (RFC 6749 3.3).
    package static func parse(_ parameter: String?) -> [String] {
        (parameter ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
    }
}
