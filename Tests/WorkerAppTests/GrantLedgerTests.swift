import Foundation
import SharedStorage
import Synchronization
import TestSupport
import Testing
import WorkerApp

/// The grant ledger on every backend: one-time codes, replay and reuse detection, revocation
/// by grant, and the audit trail.
struct GrantLedgerTests {
    static let groups = ["users", "codes", "tokens", "refresh_tokens"]

    private func withLedger(
        _ backend: TestBackend, lifetimes: TokenLifetimes = TokenLifetimes(),
        _ body: @Sendable (GrantLedger, [String: any RecordStore], any AuditLog) async throws -> Void
    ) async throws {
        try await backend.withStores(Self.groups) { stores, audit in
            let ledger = GrantLedger(
                grants: stores["users"]!, codes: stores["codes"]!, tokens: stores["tokens"]!,
                refreshTokens: stores["refresh_tokens"]!, audit: audit, lifetimes: lifetimes)
            try await body(ledger, stores, audit)
        }
    }

    private func accessRecord(_ token: String, in stores: [String: any RecordStore]) async throws -> AccessTokenRecord? {
        try await stores["tokens"]!.get(TokenHash.of(token)).flatMap(AccessTokenRecord.decode)
    }

    @Test(arguments: TestBackend.allCases)
    func aCodeIsExchangedOnceAndAReplayEndsTheGrant(_ backend: TestBackend) async throws {
        try await withLedger(backend) { ledger, stores, audit in
            let grant = try await ledger.grant(userID: "alice", clientID: "test", scope: ["read-only"])
            let code = try await ledger.codeExchange.issue(for: grant, redirectURI: "http://localhost:8080/")
            #expect(try await stores["codes"]!.get(code) == nil, "codes are stored by hash, never in clear")

            let tokens = try await ledger.codeExchange.exchange(code, clientID: "test", redirectURI: "http://localhost:8080/", withRefreshToken: true)
            #expect(try await accessRecord(tokens.accessToken, in: stores)?.grantID == grant.id)
            #expect(try await accessRecord(tokens.accessToken, in: stores)?.userID == "alice")
            #expect(tokens.expiresIn == 7200)

            await #expect(throws: OAuthError.invalidGrant("the authorization code is invalid, expired or already used")) {
                try await ledger.codeExchange.exchange(code, clientID: "test", redirectURI: "http://localhost:8080/", withRefreshToken: true)
            }
            #expect(try await accessRecord(tokens.accessToken, in: stores) == nil, "the replay revoked what the code gave")
            #expect(try await ledger.grants(ofUser: "alice").isEmpty)
            let events = try await audit.recent(limit: 10).map(\.event)
            #expect(events.contains("code_replay") && events.contains("revoke") && events.contains("code_exchange"))
        }
    }

    /// A grant is kept for the refresh lifetime from its creation; a token issued late in its
    /// life must not outlive it (the review page could no longer list, nor revoke, what it came from).
    @Test(arguments: TestBackend.allCases)
    func noTokenOutlivesItsGrant(_ backend: TestBackend) async throws {
        try await withLedger(backend, lifetimes: TokenLifetimes(code: 60, access: 7200, refresh: 30)) { ledger, stores, _ in
            let grant = try await ledger.grant(userID: "carol", clientID: "test", scope: ["read-only"])
            let grantEnds = grant.createdAt.addingTimeInterval(30)
            let code = try await ledger.codeExchange.issue(for: grant, redirectURI: "http://localhost:8080/")
            let tokens = try await ledger.codeExchange.exchange(code, clientID: "test", redirectURI: "http://localhost:8080/", withRefreshToken: true)
            #expect((1...30).contains(tokens.expiresIn), "expires_in \(tokens.expiresIn), not the usual 7200")
            let record = try #require(try await accessRecord(tokens.accessToken, in: stores))
            #expect(record.expiresAt <= grantEnds.addingTimeInterval(1))

            let refreshed = try await ledger.refreshRotation.rotate(try #require(tokens.refreshToken), clientID: "test")
            #expect((1...30).contains(refreshed.expiresIn))
            #expect(try #require(try await accessRecord(refreshed.accessToken, in: stores)).expiresAt <= grantEnds.addingTimeInterval(1))
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aCodeForAnotherClientOrRedirectIsBurnt(_ backend: TestBackend) async throws {
        try await withLedger(backend) { ledger, _, _ in
            let grant = try await ledger.grant(userID: "bob", clientID: "test", scope: ["read-only"])
            let stolen = try await ledger.codeExchange.issue(for: grant, redirectURI: "http://localhost:8080/")
            await #expect(throws: OAuthError.invalidGrant("the authorization code was issued to another client")) {
                try await ledger.codeExchange.exchange(stolen, clientID: "evil", redirectURI: "http://localhost:8080/", withRefreshToken: true)
            }
            await #expect(throws: OAuthError.invalidGrant("the authorization code is invalid, expired or already used")) {
                try await ledger.codeExchange.exchange(stolen, clientID: "test", redirectURI: "http://localhost:8080/", withRefreshToken: true)
            }
            let other = try await ledger.codeExchange.issue(for: try await ledger.grant(userID: "bob", clientID: "test", scope: ["read-only"]),
                                                   redirectURI: "http://localhost:8080/")
            await #expect(throws: OAuthError.invalidGrant("redirect_uri differs from the one the code was issued for")) {
                try await ledger.codeExchange.exchange(other, clientID: "test", redirectURI: "http://localhost:8080/elsewhere", withRefreshToken: true)
            }
            // Burnt: the right redirect URI does not bring it back.
            await #expect(throws: OAuthError.invalidGrant("the authorization code is invalid, expired or already used")) {
                try await ledger.codeExchange.exchange(other, clientID: "test", redirectURI: "http://localhost:8080/", withRefreshToken: true)
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func concurrentRedemptionsOfOneCodeNeverLeaveTwoLiveTokens(_ backend: TestBackend) async throws {
        try await withLedger(backend) { ledger, stores, _ in
            let grant = try await ledger.grant(userID: "carol", clientID: "test", scope: ["read-only"])
            let code = try await ledger.codeExchange.issue(for: grant, redirectURI: "http://localhost:8080/")
            // Each attempt exchanges the code, as the token endpoint does.
            let outcomes = await withTaskGroup(of: Result<String, any Error>.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        do {
                            return .success(try await ledger.codeExchange.exchange(
                                code, clientID: "test", redirectURI: "http://localhost:8080/", withRefreshToken: true
                            ).accessToken)
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                return await group.reduce(into: [Result<String, any Error>]()) { $0.append($1) }
            }
            var issued: [String] = []
            var refusals: [OAuthError] = []
            for outcome in outcomes {
                switch outcome {
                case .success(let token): issued.append(token)
                case .failure(let error as OAuthError): refusals.append(error)
                case .failure(let error): Issue.record("an exchange failed on storage, not as the client's mistake: \(error)")
                }
            }
            // Exactly one attempt took the code; the 19 others were told it was used. Those count
            // as replays (RFC 6749 4.1.2) and end the grant, which can happen before the winner's
            // tokens are stored: then its tokens are withdrawn and it is refused as well.
            let used = OAuthError.invalidGrant("the authorization code is invalid, expired or already used")
            let withdrawn = OAuthError.invalidGrant("the grant has been revoked")
            #expect(refusals.filter { $0 == used }.count == 19, "\(refusals)")
            #expect(issued.count + refusals.filter { $0 == withdrawn }.count == 1, "one winner: \(issued.count) issued, \(refusals)")
            // No token outlives the grant.
            let live = try await issued.asyncFilter { try await accessRecord($0, in: stores) != nil }
            let grantAlive = try await ledger.grant(id: grant.id) != nil
            #expect(live.count == (grantAlive ? issued.count : 0))
        }
    }

    @Test(arguments: TestBackend.allCases)
    func refreshRotatesAndAReusedRefreshTokenEndsTheGrant(_ backend: TestBackend) async throws {
        try await withLedger(backend) { ledger, stores, audit in
            let grant = try await ledger.grant(userID: "dave", clientID: "test", scope: ["read-write"])
            let first = try await ledger.issueTokens(for: grant, withRefreshToken: true)
            let second = try await ledger.refreshRotation.rotate(try #require(first.refreshToken), clientID: "test")
            #expect(second.refreshToken != first.refreshToken && second.accessToken != first.accessToken)
            #expect(try await accessRecord(first.accessToken, in: stores) == nil, "the old access token ended")
            #expect(try await accessRecord(second.accessToken, in: stores)?.scope == ["read-write"])

            // The rotated-out token again: suspected theft, the whole grant ends.
            await #expect(throws: OAuthError.self) { try await ledger.refreshRotation.rotate(first.refreshToken!, clientID: "test") }
            #expect(try await accessRecord(second.accessToken, in: stores) == nil)
            await #expect(throws: OAuthError.self) { try await ledger.refreshRotation.rotate(second.refreshToken!, clientID: "test") }
            #expect(try await audit.recent(limit: 10).contains { $0.event == "refresh_reuse" && $0.userID == "dave" })
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aNewGrantReplacesTheOldOneForTheSameUserAndClient(_ backend: TestBackend) async throws {
        try await withLedger(backend) { ledger, stores, _ in
            let old = try await ledger.grant(userID: "erin", clientID: "test", scope: ["read-only"])
            let oldTokens = try await ledger.issueTokens(for: old, withRefreshToken: true)
            let other = try await ledger.grant(userID: "erin", clientID: "sp-demo", scope: ["read-only"])
            let new = try await ledger.grant(userID: "erin", clientID: "test", scope: ["read-write"])
            #expect(try await accessRecord(oldTokens.accessToken, in: stores) == nil)
            await #expect(throws: OAuthError.self) { try await ledger.refreshRotation.rotate(oldTokens.refreshToken!, clientID: "test") }
            #expect(Set(try await ledger.grants(ofUser: "erin").map(\.id)) == [other.id, new.id])
            try await ledger.revoke(other, reason: "review page")
            #expect(try await ledger.grants(ofUser: "erin").map(\.id) == [new.id])
        }
    }
    @Test(arguments: TestBackend.allCases)
    func aCodeWithAChallengeNeedsItsVerifier(_ backend: TestBackend) async throws {
        try await withLedger(backend) { ledger, _, _ in
            let grant = try await ledger.grant(userID: "fay", clientID: "test", scope: ["read-only"])
            // RFC 7636 appendix B.
            let pkce = try #require(try PKCEChallenge.from(
                challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", method: "S256", allowPlain: false))
            let redirect = "http://localhost:8080/"
            let good = try await ledger.codeExchange.issue(for: grant, redirectURI: redirect, pkce: pkce)
            let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
            #expect(try await ledger.codeExchange.exchange(good, clientID: "test", redirectURI: redirect, codeVerifier: verifier, withRefreshToken: false)
                .refreshToken == nil)
            let unverified = try await ledger.codeExchange.issue(for: grant, redirectURI: redirect, pkce: pkce)
            await #expect(throws: OAuthError.invalidGrant("code_verifier is required: the authorization request sent a code_challenge")) {
                try await ledger.codeExchange.exchange(unverified, clientID: "test", redirectURI: redirect, withRefreshToken: false)
            }
            let plain = try await ledger.codeExchange.issue(for: grant, redirectURI: redirect)
            await #expect(throws: OAuthError.invalidGrant("code_verifier sent for a code issued without a code_challenge")) {
                try await ledger.codeExchange.exchange(plain, clientID: "test", redirectURI: redirect, codeVerifier: verifier, withRefreshToken: false)
            }
            // Leaving redirect_uri out is allowed only when the authorization request did.
            let implied = try await ledger.codeExchange.issue(for: grant, redirectURI: redirect, redirectURIGiven: false)
            _ = try await ledger.codeExchange.exchange(implied, clientID: "test", redirectURI: nil, withRefreshToken: false)
            let named = try await ledger.codeExchange.issue(for: grant, redirectURI: redirect)
            await #expect(throws: OAuthError.invalidGrant("redirect_uri is required: the authorization request named one")) {
                try await ledger.codeExchange.exchange(named, clientID: "test", redirectURI: nil, withRefreshToken: false)
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func withinTheGraceWindowConcurrentRefreshesShareOneRotation(_ backend: TestBackend) async throws {
        try await withLedger(backend) { ledger, stores, audit in
            let grant = try await ledger.grant(userID: "gus", clientID: "test", scope: ["read-only"])
            let old = try #require(try await ledger.issueTokens(for: grant, withRefreshToken: true).refreshToken)
            let results = try await withThrowingTaskGroup(of: IssuedTokens.self) { group in
                for _ in 0..<8 { group.addTask { try await ledger.refreshRotation.rotate(old, clientID: "test", graceSeconds: 30) } }
                return try await group.reduce(into: [IssuedTokens]()) { $0.append($1) }
            }
            #expect(Set(results.map(\.refreshToken)).count == 1, "one rotation, one pair for every caller")
            #expect(try await accessRecord(results[0].accessToken, in: stores) != nil)
            #expect(try await audit.recent(limit: 50).filter { $0.event == "refresh" && $0.userID == "gus" }.count == 1)
            #expect(try await stores["refresh_tokens"]!.get(old) == nil, "nothing stored in clear")

            // Once the new pair has been used, the old token is theft again.
            let next = try await ledger.refreshRotation.rotate(try #require(results[0].refreshToken), clientID: "test", graceSeconds: 30)
            await #expect(throws: OAuthError.self) { try await ledger.refreshRotation.rotate(old, clientID: "test", graceSeconds: 30) }
            #expect(try await accessRecord(next.accessToken, in: stores) == nil)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aClientRevokesItsOwnTokensOnly(_ backend: TestBackend) async throws {
        try await withLedger(backend) { ledger, _, _ in
            let grant = try await ledger.grant(userID: "hal", clientID: "test", scope: ["read-only"])
            let tokens = try await ledger.issueTokens(for: grant, withRefreshToken: true)
            await #expect(throws: OAuthError.unauthorizedClient("the token was issued to another client")) {
                try await ledger.revokeToken(tokens.accessToken, byClient: "other")
            }
            try await ledger.revokeToken("never-issued", byClient: "test")
            try await ledger.revokeToken(tokens.accessToken, byClient: "test")
            #expect(try await ledger.lookUp(tokens.accessToken) == nil)
            guard case .refresh(_, let owner)? = try await ledger.lookUp(tokens.refreshToken!) else {
                Issue.record("the refresh token outlives its access token")
                return
            }
            #expect(owner == grant)
            try await ledger.revokeToken(tokens.refreshToken!, byClient: "test", refreshFirst: true)
            #expect(try await ledger.grant(id: grant.id) == nil, "a revoked refresh token ends its grant")
            #expect(try await ledger.lookUp(tokens.refreshToken!) == nil)
        }
    }

    /// The token stores fail in the middle of a revocation (their sweep of the grant's tokens):
    /// the user got an error, but nothing the grant gave works any more, anywhere.
    @Test(arguments: TestBackend.allCases)
    func aRevocationThatFailsHalfWayLeavesNoWorkingToken(_ backend: TestBackend) async throws {
        try await backend.withStores(Self.groups) { stores, audit in
            let tokenStore = SweepFailingStore(stores["tokens"]!), refreshStore = SweepFailingStore(stores["refresh_tokens"]!)
            let ledger = GrantLedger(
                grants: stores["users"]!, codes: stores["codes"]!, tokens: tokenStore,
                refreshTokens: refreshStore, audit: audit, lifetimes: TokenLifetimes())
            let grant = try await ledger.grant(userID: "ida", clientID: "test", scope: ["read-only"])
            let issued = try await ledger.issueTokens(for: grant, withRefreshToken: true)
            let code = try await ledger.codeExchange.issue(for: grant, redirectURI: "http://localhost:8080/")
            let other = try await ledger.issueTokens(for: try await ledger.grant(userID: "ida", clientID: "other", scope: ["read-only"]), withRefreshToken: false)

            for store in [tokenStore, refreshStore] { store.failSweeps.withLock { $0 = true } }
            await #expect(throws: SweepFailingStore.Failure.self) { try await ledger.revoke(grant, reason: "test") }
            #expect(try await accessRecord(issued.accessToken, in: stores) != nil, "the failed sweep left the record behind")

            #expect(try await ledger.accessToken(issued.accessToken) == nil, "refused at /api")
            #expect(try await ledger.lookUp(issued.accessToken) == nil, "inactive at introspection")
            #expect(try await ledger.accessToken(other.accessToken) != nil, "the user's grant to another client is untouched")

            // The store is back; the refresh token and the code it left behind still give nothing.
            for store in [tokenStore, refreshStore] { store.failSweeps.withLock { $0 = false } }
            #expect(try await stores["refresh_tokens"]!.get(TokenHash.of(issued.refreshToken!)) != nil, "left behind")
            await #expect(throws: OAuthError.invalidGrant("the grant has been revoked")) {
                try await ledger.refreshRotation.rotate(issued.refreshToken!, clientID: "test")
            }
            await #expect(throws: OAuthError.invalidGrant("the grant has been revoked")) {
                try await ledger.codeExchange.exchange(code, clientID: "test", redirectURI: "http://localhost:8080/", withRefreshToken: true)
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aClientGrantHasNoUserAndNoRefreshToken(_ backend: TestBackend) async throws {
        try await withLedger(backend) { ledger, stores, _ in
            let tokens = try await ledger.issueClientToken(clientID: "service", scope: ["read-only"])
            #expect(tokens.refreshToken == nil)
            let record = try #require(try await accessRecord(tokens.accessToken, in: stores))
            #expect(record.userID == nil && record.clientID == "service")
        }
    }

}

/// A real store whose sweeps of an index (`deleteIndexed`) can be made to fail, as a store
/// that goes away in the middle of a revocation would.
final class SweepFailingStore: RecordStore {
    struct Failure: Error {}
    let base: any RecordStore
    let failSweeps = Mutex(false)
    var group: String { base.group }
    var defaultTTL: Int { base.defaultTTL }

    init(_ base: any RecordStore) { self.base = base }

    func put(_ key: String, _ value: [UInt8], ttl: Int?) async throws { try await base.put(key, value, ttl: ttl) }
    func insert(_ key: String, _ value: [UInt8], ttl: Int?) async throws -> Bool { try await base.insert(key, value, ttl: ttl) }
    func get(_ key: String) async throws -> [UInt8]? { try await base.get(key) }
    func delete(_ key: String) async throws { try await base.delete(key) }
    func take(_ key: String) async throws -> [UInt8]? { try await base.take(key) }
    func addToIndex(_ index: String, member: String, ttl: Int?) async throws { try await base.addToIndex(index, member: member, ttl: ttl) }
    func removeFromIndex(_ index: String, member: String) async throws { try await base.removeFromIndex(index, member: member) }
    func members(ofIndex index: String) async throws -> [String] { try await base.members(ofIndex: index) }
    func deleteIndex(_ index: String) async throws { try await base.deleteIndex(index) }
    func put(_ key: String, _ value: [UInt8], ttl: Int?, indexedIn index: String) async throws {
        try await base.put(key, value, ttl: ttl, indexedIn: index)
    }
    func deleteIndexed(_ index: String) async throws {
        if failSweeps.withLock({ $0 }) { throw Failure() }
        try await base.deleteIndexed(index)
    }
    func countFailure(_ key: String, now: Int64, window: Int64) async throws -> FailureCount {
        try await base.countFailure(key, now: now, window: window)
    }
    func failures(_ key: String) async throws -> FailureCount? { try await base.failures(key) }
    func clearFailures(_ key: String) async throws { try await base.clearFailures(key) }
    func ping() async throws { try await base.ping() }
}

extension Array where Element: Sendable {
    func asyncFilter(_ keep: (Element) async throws -> Bool) async rethrows -> [Element] {
        var kept: [Element] = []
        for element in self where try await keep(element) { kept.append(element) }
        return kept
    }
}

/// Grants written before they were coded by hand (Foundation's JSONEncoder) still read back.
struct GrantRecordTests {
    @Test(arguments: TestBackend.allCases)
    func aGrantStoredByAnEarlierVersionIsStillLive(_ backend: TestBackend) async throws {
        try await backend.withStores(GrantLedgerTests.groups) { stores, audit in
            let ledger = GrantLedger(
                grants: stores["users"]!, codes: stores["codes"]!, tokens: stores["tokens"]!,
                refreshTokens: stores["refresh_tokens"]!, audit: audit, lifetimes: TokenLifetimes())
            let earlier = #"{"clientID":"test","createdAt":1764698000123.25,"id":"old-grant","scope":["read-only"],"userID":"zoe"}"#
            try await stores["users"]!.put("grant:old-grant", Array(earlier.utf8))
            let grant = try #require(try await ledger.grant(id: "old-grant"))
            #expect(grant.userID == "zoe" && grant.clientID == "test" && grant.scope == ["read-only"] && grant.username == nil)

            // And one written now reads back equal, user's name included.
            let new = try await ledger.grant(userID: "yan", clientID: "test", scope: ["read-only", "read-write"], username: "Yan \"Y\"")
            #expect(try await ledger.grant(id: new.id) == new)
            let tokens = try await ledger.issueTokens(for: new, withRefreshToken: true)
            guard case .access(let record)? = try await ledger.lookUp(tokens.accessToken) else {
                Issue.record("the new access token is not live")
                return
            }
            #expect(record.username == "Yan \"Y\"", "introspection's username travels with the token")
        }
    }
}

/// Codes and refresh tokens carry a copy of their grant, so only the grant's existence is read
/// when they are used; records stored without the copy (by earlier versions) still work, and a
/// copy never outlives the grant it was taken from.
struct CodeAndRefreshRecordTests {
    private func withLedger(
        _ backend: TestBackend, _ body: @Sendable (GrantLedger, [String: any RecordStore], any AuditLog) async throws -> Void
    ) async throws {
        try await backend.withStores(GrantLedgerTests.groups) { stores, audit in
            let ledger = GrantLedger(
                grants: stores["users"]!, codes: stores["codes"]!, tokens: stores["tokens"]!,
                refreshTokens: stores["refresh_tokens"]!, audit: audit, lifetimes: TokenLifetimes())
            try await body(ledger, stores, audit)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aCodeAndARefreshTokenStoredByAnEarlierVersionStillWork(_ backend: TestBackend) async throws {
        try await withLedger(backend) { ledger, stores, _ in
            let grant = try await ledger.grant(userID: "zoe", clientID: "test", scope: ["read-only"], username: "zoe@example.com")
            // As Foundation's JSONEncoder wrote them: keys sorted, dates in (fractional) milliseconds, no grant copy.
            let verifier = String(repeating: "v", count: 43)
            let code = "earlier-code"
            let codeRecord = #"{"clientID":"test","grantID":"\#(grant.id)","pkce":{"challenge":"\#(verifier)","method":"plain"},"redirectURI":"http:\/\/localhost:8080\/","redirectURIGiven":true}"#
            try await stores["codes"]!.put(TokenHash.of(code), Array(codeRecord.utf8), ttl: 600)
            let exchanged = try await ledger.codeExchange.exchange(
                code, clientID: "test", redirectURI: "http://localhost:8080/", codeVerifier: verifier, withRefreshToken: false)
            guard case .access(let access)? = try await ledger.lookUp(exchanged.accessToken) else {
                Issue.record("the exchanged access token is not live")
                return
            }
            #expect(access.userID == "zoe" && access.username == "zoe@example.com" && access.scope == ["read-only"])

            let refresh = "earlier-refresh"
            let refreshRecord = #"{"clientID":"test","expiresAt":4102444800000.5,"grantID":"\#(grant.id)","issuedAt":1764698000123.25}"#
            try await stores["refresh_tokens"]!.put(TokenHash.of(refresh), Array(refreshRecord.utf8), ttl: 3600, indexedIn: "issued-for:\(grant.id)")
            guard case .refresh(let record, let owner)? = try await ledger.lookUp(refresh, refreshFirst: true) else {
                Issue.record("the earlier refresh token does not introspect as live")
                return
            }
            #expect(record.grantID == grant.id && owner == grant)
            let rotated = try await ledger.refreshRotation.rotate(refresh, clientID: "test")
            #expect(rotated.refreshToken != nil && rotated.scope == ["read-only"])
            #expect(try await ledger.accessToken(exchanged.accessToken) == nil, "a refresh ends the grant's earlier access tokens")
            // The rotated pair carries the copy: the next refresh works from it too.
            let again = try await ledger.refreshRotation.rotate(rotated.refreshToken!, clientID: "test")
            #expect(try await ledger.accessToken(again.accessToken)?.userID == "zoe")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aCodeWhoseGrantWasRevokedGivesNothingAndIsAuditedAsWithdrawn(_ backend: TestBackend) async throws {
        try await withLedger(backend) { ledger, stores, audit in
            let grant = try await ledger.grant(userID: "ann", clientID: "test", scope: ["read-only"])
            let code = try await ledger.codeExchange.issue(for: grant, redirectURI: "http://localhost:8080/")
            try await ledger.revoke(grant, reason: "unticked on the review page")

            await #expect(throws: OAuthError.invalidGrant("the grant has been revoked")) {
                try await ledger.codeExchange.exchange(code, clientID: "test", redirectURI: "http://localhost:8080/", withRefreshToken: true)
            }
            #expect(try await stores["tokens"]!.members(ofIndex: "issued-for:\(grant.id)").isEmpty, "the access token was taken back")
            #expect(try await stores["refresh_tokens"]!.members(ofIndex: "issued-for:\(grant.id)").isEmpty, "so was the refresh token")
            let events = try await audit.recent(limit: 5).map(\.event)
            #expect(events.first == "tokens_withdrawn" && events.contains("code_exchange"))
        }
    }
}
