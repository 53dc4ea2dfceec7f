import Testing
import WorkerApp

/// The rules of an authorization request that need no server: scopes, PKCE, the redirect.
struct AuthorizationRulesTests {
    let scopes = ScopePolicy(siteScopes: ["read-only", "read-write"])

    @Test func scopesFollowTheNodeOriginal() {
        #expect(scopes.forAuthorization([]) == ["read-only"], "none: the lowest")
        #expect(scopes.forAuthorization(["*"]) == ["read-only"], "unknown, even *, falls to the lowest, never the highest")
        #expect(scopes.forAuthorization(["read-write", "bogus", "read-write"]) == ["read-write", "read-only"])
        #expect(ScopePolicy.parse("  read-only\tread-write ") == ["read-only", "read-write"])
    }

    @Test func aConsentFormCanNarrowButNeverWiden() {
        #expect(scopes.approved(posted: ["read-only"], offered: ["read-only", "read-write"]) == ["read-only"])
        #expect(scopes.approved(posted: ["read-write"], offered: ["read-only"]) == ["read-only"])
        #expect(scopes.approved(posted: [], offered: ["read-write"]) == ["read-write"])
    }

    @Test func pkceS256MatchesTheRFCExample() throws {
        // RFC 7636 appendix B.
        let challenge = try #require(try PKCEChallenge.from(
            challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", method: "S256", allowPlain: false))
        #expect(challenge.isSatisfied(by: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"))
        #expect(!challenge.isSatisfied(by: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl"))
        #expect(!challenge.isSatisfied(by: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"), "the challenge is not its own verifier")
    }

    @Test func pkceRefusesWeakOrMalformedChallenges() throws {
        let verifier = String(repeating: "a", count: 43)
        #expect(throws: OAuthError.self) { try PKCEChallenge.from(challenge: verifier, method: nil, allowPlain: false) }
        #expect(try PKCEChallenge.from(challenge: verifier, method: nil, allowPlain: true)?.isSatisfied(by: verifier) == true)
        #expect(throws: OAuthError.self) { try PKCEChallenge.from(challenge: "short", method: "S256", allowPlain: false) }
        #expect(throws: OAuthError.self) { try PKCEChallenge.from(challenge: nil, method: "S256", allowPlain: false) }
        #expect(try PKCEChallenge.from(challenge: nil, method: nil, allowPlain: false) == nil)
    }

    @Test func theRedirectKeepsTheClientsQueryAndEncodesEverything() {
        let query = AuthorizationRedirect(uri: "https://client.example/cb?app=1", inFragment: false, state: "a b&c")
        #expect(query.location([("code", "x/y")], issuer: "https://as.example") ==
            "https://client.example/cb?app=1&code=x%2Fy&state=a%20b%26c&iss=https%3A%2F%2Fas.example")
        let fragment = AuthorizationRedirect(uri: "https://client.example/cb", inFragment: true, state: nil)
        #expect(fragment.location(.accessDenied("no"), issuer: "https://as.example") ==
            "https://client.example/cb#error=access_denied&error_description=no&iss=https%3A%2F%2Fas.example")
    }
}
