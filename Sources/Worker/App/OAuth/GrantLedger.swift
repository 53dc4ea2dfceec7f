import Foundation
import SharedPlatform
import SharedStorage

/// Grants and everything issued from them. Codes and tokens are stored under their SHA-256
/// and carry their grant's id; a grant's tokens are indexed by grant, a user's grants by user,
/// so revoking a grant (from the review page, a deny, a replayed code, a reused refresh token,
/// a new grant replacing the old one) is one operation. Codes and refresh tokens are taken
/// atomically, so two concurrent redemptions never both win. Every grant, exchange, refresh
/// and revocation is audited before it takes effect.
package struct GrantLedger: Sendable {
    let grants: any RecordStore
    let codes: any RecordStore
    let tokens: any RecordStore
    let refreshTokens: any RecordStore
    let audit: any AuditLog
    let lifetimes: TokenLifetimes
    /// Makes self-contained access tokens for the clients that want them; nil: all opaque.
    var minter: (any AccessTokenMinter)? = nil

    package init(
        grants: any RecordStore, codes: any RecordStore, tokens: any RecordStore, refreshTokens: any RecordStore,
        audit: any AuditLog, lifetimes: TokenLifetimes
    ) {
        self.grants = grants
        self.codes = codes
        self.tokens = tokens
        self.refreshTokens = refreshTokens
        self.audit = audit
        self.lifetimes = lifetimes
    }

    package init(storage: StorageRegistry, lifetimes: TokenLifetimes, minter: (any AccessTokenMinter)? = nil) {
        self.init(
            grants: storage.store(.users), codes: storage.store(.codes), tokens: storage.store(.tokens),
            refreshTokens: storage.store(.refreshTokens), audit: storage.audit, lifetimes: lifetimes)
        self.minter = minter
    }

    /// The value of the access token `record` describes: the minter's, else 32 random bytes.
    private func accessTokenValue(for record: AccessTokenRecord) async throws -> String {
        if let minter, let minted = try await minter.mint(for: record) { return minted }
        return Base64URL.random(bytes: 32)
    }

    // MARK: - Grants

    /// Records that `userID` granted `clientID` the `scope`. As in the Node original, a user's
    /// earlier grants to the same client end: one live grant per user and client.
    package func grant(
        userID: String, clientID: String, scope: [String], username: String? = nil, authTime: Date? = nil, sid: String? = nil
    ) async throws -> Grant {
        let grant = Grant(
            id: Base64URL.random(bytes: 16), userID: userID, clientID: clientID, scope: scope, createdAt: Date().storagePrecision,
            username: username, authTime: authTime?.storagePrecision, sid: sid)
        // The audit record is written while the earlier grants end. The new grant joins the
        // user's index only once it is stored: listing the index drops ids whose grant is gone.
        async let audited: Void = audit.append(
            AuditRecord(event: "grant", userID: userID, clientID: clientID, scope: scope.joined(separator: " ")))
        try await revokeGrants(ofUser: userID, toClient: clientID, reason: "replaced by a new grant")
        try await grants.put(Self.grantKey(grant.id), grant.encoded(), ttl: lifetimes.refresh)
        try await grants.addToIndex(Self.userIndex(userID), member: grant.id, ttl: lifetimes.refresh)
        try await audited
        return grant
    }

    package func grant(id: String) async throws -> Grant? {
        try await grants.get(Self.grantKey(id)).flatMap(Grant.decode)
    }

    /// The grant a code or refresh token carries a copy of, else the stored one. Whether a
    /// copied grant still exists is checked once the new tokens are indexed (`issueTokens`).
    func grant(copied: Grant?, id: String) async throws -> Grant? {
        if let copied, copied.id == id { return copied }
        return try await grant(id: id)
    }

    /// The user's live grants, oldest first.
    package func grants(ofUser userID: String) async throws -> [Grant] {
        var found: [Grant] = []
        for id in try await grants.members(ofIndex: Self.userIndex(userID)) {
            if let grant = try await grant(id: id) { found.append(grant) } else {
                try await grants.removeFromIndex(Self.userIndex(userID), member: id)
            }
        }
        return found.sorted { $0.createdAt < $1.createdAt }
    }

    /// Ends a grant and every code and token issued from it.
    ///
    /// The grant's tombstone is stored first, in the tokens' store: from then on every code,
    /// access token and refresh token of the grant is refused wherever it is presented (token
    /// issue, /api, introspection), even if what follows fails half-way and leaves records
    /// behind. Then the grant and its tokens go. A token issued concurrently was either indexed
    /// before the sweep reads the index, or its issuer finds the tombstone and takes it back
    /// (see `issueTokens`). If storing the tombstone fails, nothing has changed: the grant is
    /// still listed on the review page, to be revoked again.
    package func revoke(_ grant: Grant, reason: String) async throws {
        try await audit.append(AuditRecord(
            event: "revoke", userID: grant.userID, clientID: grant.clientID, scope: grant.scope.joined(separator: " "), detail: reason))
        // Kept as long as the grant could have lived: no token of it lives longer (`within`).
        try await tokens.put(Self.tombstoneKey(grant.id), Self.tombstone, ttl: lifetimes.within(grant, at: Date()).refresh)
        async let unindexed: Void = unindexFromUser(grant)
        async let swept: Void = deleteIssued(for: grant.id)
        try await grants.delete(Self.grantKey(grant.id))
        try await swept
        try await unindexed
    }

    /// Ends every grant the user gave the client.
    package func revokeGrants(ofUser userID: String, toClient clientID: String, reason: String) async throws {
        for grant in try await grants(ofUser: userID) where grant.clientID == clientID {
            try await revoke(grant, reason: reason)
        }
    }

    /// The user said no on the consent page. As in the Node original, what the client already held ends too.
    package func deny(userID: String, clientID: String) async throws {
        try await audit.append(AuditRecord(event: "deny", userID: userID, clientID: clientID))
        try await revokeGrants(ofUser: userID, toClient: clientID, reason: "the user denied access")
    }

    // MARK: - Tokens

    /// A new access token (and refresh token, when `withRefreshToken`) for `grant`. The access
    /// token carries `scope` when given (a narrower scope asked for at refresh), else the grant's.
    /// `auditing` is written alongside the tokens; nothing is handed out unless all of it is stored.
    package func issueTokens(
        for grant: Grant, withRefreshToken: Bool, scope: [String]? = nil, auditing: AuditRecord? = nil
    ) async throws -> IssuedTokens {
        let now = Date()
        let scope = scope ?? grant.scope
        let (accessLifetime, refreshLifetime) = lifetimes.within(grant, at: now)
        let record = AccessTokenRecord(
            grantID: grant.id, clientID: grant.clientID, userID: grant.userID, scope: scope,
            issuedAt: now, expiresAt: now.addingTimeInterval(TimeInterval(accessLifetime)), username: grant.username)
        let access = try await accessTokenValue(for: record)
        let refresh = withRefreshToken ? Base64URL.random(bytes: 32) : nil
        // The writes are independent: one round trip's wait for all of them.
        async let audited: Void = append(auditing)
        async let refreshStored: Void = storeRefreshToken(refresh, for: grant, issuedAt: now, lifetime: refreshLifetime)
        // The grant may have been revoked meanwhile (a replayed code racing this exchange), or
        // before, when the code or refresh token carried a copy of it. Its tombstone is looked
        // for once the access token is indexed, in the same trip: a revocation either found the
        // token in the index or stored its tombstone before this look, which then takes the
        // tokens back. (A refresh token indexed after a sweep is never usable: its rotation looks
        // for the same tombstone, which outlives it.) The tombstone lives beside the tokens, so
        // with tokens in Redis and grants in PostgreSQL this is one Redis trip.
        let revoked = try await tokens.put(
            TokenHash.of(access), record.encoded(), ttl: accessLifetime, indexedIn: Self.grantIndex(grant.id),
            thenLookFor: Self.tombstoneKey(grant.id))
        try await refreshStored
        try await audited
        guard !revoked else {
            // The record written alongside said the tokens were issued: say they were not.
            async let audited: Void = append(auditing.map { issued in
                AuditRecord(
                    event: "tokens_withdrawn", userID: issued.userID, clientID: issued.clientID, scope: issued.scope,
                    tokenID: issued.tokenID, detail: "the grant was revoked while tokens were issued from it")
            })
            try await deleteIssued(for: grant.id)
            try await audited
            throw OAuthError.invalidGrant("the grant has been revoked")
        }
        return IssuedTokens(accessToken: access, expiresIn: accessLifetime, refreshToken: refresh, scope: scope, grant: grant)
    }

    func append(_ record: AuditRecord?) async throws {
        if let record { try await audit.append(record) }
    }

    private func storeRefreshToken(_ token: String?, for grant: Grant, issuedAt now: Date, lifetime: Int) async throws {
        guard let token else { return }
        let record = RefreshRecord(
            grantID: grant.id, clientID: grant.clientID, issuedAt: now, expiresAt: now.addingTimeInterval(TimeInterval(lifetime)),
            grant: grant)
        try await refreshTokens.put(TokenHash.of(token), record.encoded(), ttl: lifetime, indexedIn: Self.grantIndex(grant.id))
    }

    func endAccessTokens(ofGrant grantID: String, unless refused: Bool) async throws {
        if !refused { try await tokens.deleteIndexed(Self.grantIndex(grantID)) }
    }

    private func unindexFromUser(_ grant: Grant) async throws {
        if let userID = grant.userID { try await grants.removeFromIndex(Self.userIndex(userID), member: grant.id) }
    }

    // MARK: - Clients on their own behalf

    /// An access token for a client acting for itself (RFC 6749 4.4): no user, no refresh token.
    /// Its grant lives only in the token (nobody can revoke it but by revoking the token, and
    /// nothing can race its issue), so issuing is one write beside its audit record.
    package func issueClientToken(clientID: String, scope: [String]) async throws -> IssuedTokens {
        let now = Date()
        let record = AccessTokenRecord(
            grantID: Base64URL.random(bytes: 16), clientID: clientID, userID: nil, scope: scope,
            issuedAt: now, expiresAt: now.addingTimeInterval(TimeInterval(lifetimes.access)))
        let access = try await accessTokenValue(for: record)
        async let audited: Void = audit.append(AuditRecord(event: "client_credentials", clientID: clientID, scope: scope.joined(separator: " ")))
        try await tokens.put(TokenHash.of(access), record.encoded(), ttl: lifetimes.access)
        try await audited
        return IssuedTokens(accessToken: access, expiresIn: lifetimes.access, refreshToken: nil, scope: scope)
    }

    // MARK: - Looking tokens up and revoking them one by one

    /// A live token, by its value.
    package enum LiveToken: Sendable {
        case access(AccessTokenRecord)
        case refresh(RefreshRecord, Grant)
    }

    /// The record of a live access token: stored, unexpired, and of a grant that has no
    /// tombstone, so a revocation that failed half-way leaves no working token. The token and
    /// the tombstone are read in one round trip (a client's own token names a grant that is
    /// never stored, so it never has one).
    package func accessToken(_ token: String) async throws -> AccessTokenRecord? {
        let stored = try await tokens.get(TokenHash.of(token), unlessMarkedBy: Self.tombstones)
        guard let record = stored.flatMap(AccessTokenRecord.decode), record.expiresAt > Date() else { return nil }
        return record
    }

    /// The live access or refresh token `token` is, if any; `refreshFirst` follows a token_type_hint.
    package func lookUp(_ token: String, refreshFirst: Bool = false) async throws -> LiveToken? {
        let hash = TokenHash.of(token)
        func access() async throws -> LiveToken? { try await accessToken(token).map(LiveToken.access) }
        func refresh() async throws -> LiveToken? {
            guard let record = try await refreshTokens.get(hash).flatMap(RefreshRecord.decode),
                (record.expiresAt ?? .distantFuture) > Date(), let grant = try await grant(id: record.grantID)
            else { return nil }
            return .refresh(record, grant)
        }
        if refreshFirst {
            if let found = try await refresh() { return found }
            return try await access()
        }
        if let found = try await access() { return found }
        return try await refresh()
    }

    /// RFC 7009: a client revokes one of its own tokens. An access token ends alone; a refresh
    /// token ends its whole grant. Unknown tokens are no error.
    package func revokeToken(_ token: String, byClient clientID: String, refreshFirst: Bool = false) async throws {
        switch try await lookUp(token, refreshFirst: refreshFirst) {
        case nil:
            return
        case .access(let record):
            guard record.clientID == clientID else { throw OAuthError.unauthorizedClient("the token was issued to another client") }
            try await audit.append(AuditRecord(
                event: "revoke_token", userID: record.userID, clientID: clientID, tokenID: Redaction.shortened(token)))
            async let unindexed: Void = tokens.removeFromIndex(Self.grantIndex(record.grantID), member: TokenHash.of(token))
            try await tokens.delete(TokenHash.of(token))
            try await unindexed
        case .refresh(let record, let grant):
            guard record.clientID == clientID else { throw OAuthError.unauthorizedClient("the token was issued to another client") }
            try await revoke(grant, reason: "refresh token revoked by the client")
        }
    }

    /// Deletes every access and refresh token issued for the grant, and their indexes.
    private func deleteIssued(for grantID: String) async throws {
        async let refreshGone: Void = refreshTokens.deleteIndexed(Self.grantIndex(grantID))
        try await tokens.deleteIndexed(Self.grantIndex(grantID))
        try await refreshGone
    }

    // MARK: - Keys

    static func grantKey(_ id: String) -> String { "grant:\(id)" }
    static func tombstoneKey(_ grantID: String) -> String { tombstones.keyPrefix + grantID }
    /// An access token names its grant; the grant's tombstone, once revoked, marks the token dead.
    static let tombstones = RecordMarker(field: "grantID", keyPrefix: "revoked-grant:")
    static let tombstone: [UInt8] = Array("revoked".utf8)
    static func userIndex(_ userID: String) -> String { "grants-of:\(userID)" }
    static func grantIndex(_ grantID: String) -> String { "issued-for:\(grantID)" }
}
