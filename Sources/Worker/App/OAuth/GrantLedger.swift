import Foundation
import OAuth2Shared

/// What a user gave a client: the thing the review page lists and revokes (DESIGN section 4).
public struct Grant: Codable, Sendable, Equatable {
    public let id: String
    public let userID: String?
    public let clientID: String
    public let scope: [String]
    public let createdAt: Date
}

/// Tokens handed to a client for a grant.
public struct IssuedTokens: Sendable, Equatable {
    public let accessToken: String
    public let expiresIn: Int
    public let refreshToken: String?
    public let scope: [String]
}

/// How long codes and tokens live: each group's `ttl`, or the seed's defaults when it is 0.
public struct TokenLifetimes: Sendable {
    public var code = 60
    public var access = 7200
    public var refresh = 7_776_000

    public init(code: Int = 60, access: Int = 7200, refresh: Int = 7_776_000) {
        self.code = code
        self.access = access
        self.refresh = refresh
    }

    public init(storage: StorageConfig) {
        func ttl(_ group: String, _ fallback: Int) -> Int {
            let configured = storage.backend(for: group).ttl
            return configured > 0 ? configured : fallback
        }
        self.init(code: ttl("codes", 60), access: ttl("tokens", 7200), refresh: ttl("refresh_tokens", 7_776_000))
    }
}

/// Grants and everything issued from them. Codes and tokens are stored under their SHA-256
/// and carry their grant's id; a grant's tokens are indexed by grant, a user's grants by user,
/// so revoking a grant (from the review page, a deny, a replayed code, a reused refresh token,
/// a new grant replacing the old one) is one operation. Codes and refresh tokens are taken
/// atomically, so two concurrent redemptions never both win. Every grant, exchange, refresh
/// and revocation is audited before it takes effect.
public struct GrantLedger: Sendable {
    let grants: any RecordStore
    let codes: any RecordStore
    let tokens: any RecordStore
    let refreshTokens: any RecordStore
    let audit: any AuditLog
    let lifetimes: TokenLifetimes

    public init(
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

    public init(storage: StorageRegistry, lifetimes: TokenLifetimes) {
        self.init(
            grants: storage.store("users"), codes: storage.store("codes"), tokens: storage.store("tokens"),
            refreshTokens: storage.store("refresh_tokens"), audit: storage.audit, lifetimes: lifetimes)
    }

    // MARK: - Grants

    /// Records that `userID` granted `clientID` the `scope`. As in the seed, a user's earlier
    /// grants to the same client end: one live grant per user and client.
    public func grant(userID: String, clientID: String, scope: [String]) async throws -> Grant {
        let grant = Grant(
            id: Base64URL.random(bytes: 16), userID: userID, clientID: clientID, scope: scope, createdAt: Date().storagePrecision)
        try await audit.append(AuditRecord(event: "grant", userID: userID, clientID: clientID, scope: scope.joined(separator: " ")))
        for earlier in try await self.grants(ofUser: userID) where earlier.clientID == clientID {
            try await revoke(earlier, reason: "replaced by a new grant")
        }
        try await grants.put(Self.grantKey(grant.id), RecordCoding.encode(grant), ttl: lifetimes.refresh)
        try await grants.addToIndex(Self.userIndex(userID), member: grant.id, ttl: lifetimes.refresh)
        return grant
    }

    public func grant(id: String) async throws -> Grant? {
        try await grants.get(Self.grantKey(id)).flatMap { RecordCoding.decode(Grant.self, $0) }
    }

    /// The user's live grants, oldest first.
    public func grants(ofUser userID: String) async throws -> [Grant] {
        var found: [Grant] = []
        for id in try await grants.members(ofIndex: Self.userIndex(userID)) {
            if let grant = try await grant(id: id) { found.append(grant) } else {
                try await grants.removeFromIndex(Self.userIndex(userID), member: id)
            }
        }
        return found.sorted { $0.createdAt < $1.createdAt }
    }

    /// Ends a grant and every code and token issued from it.
    public func revoke(_ grant: Grant, reason: String) async throws {
        try await audit.append(AuditRecord(
            event: "revoke", userID: grant.userID, clientID: grant.clientID, scope: grant.scope.joined(separator: " "), detail: reason))
        // The grant first: a token issued concurrently is either already in the index read
        // below, or its issuer finds the grant gone and takes it back (see issueTokens).
        try await grants.delete(Self.grantKey(grant.id))
        try await deleteIssued(in: tokens, for: grant.id)
        try await deleteIssued(in: refreshTokens, for: grant.id)
        if let userID = grant.userID { try await grants.removeFromIndex(Self.userIndex(userID), member: grant.id) }
    }

    // MARK: - Codes

    struct CodeRecord: Codable {
        let grantID: String
        let clientID: String
        let redirectURI: String
    }

    /// A one-time code for `grant`, bound to its client and redirect URI.
    public func issueCode(for grant: Grant, redirectURI: String) async throws -> String {
        let code = Base64URL.random(bytes: 32)
        try await codes.put(
            TokenHash.of(code), RecordCoding.encode(CodeRecord(grantID: grant.id, clientID: grant.clientID, redirectURI: redirectURI)),
            ttl: lifetimes.code)
        return code
    }

    /// Exchanges a code for its grant, once. A code presented by another client or with another
    /// redirect URI is burnt; a code presented again ends the grant it came from (RFC 6749 4.1.2).
    public func redeemCode(_ code: String, clientID: String, redirectURI: String) async throws -> Grant {
        let hash = TokenHash.of(code)
        guard let bytes = try await codes.take(hash), let record = RecordCoding.decode(CodeRecord.self, bytes) else {
            if let grantID = try await codes.get(Self.redeemedKey(hash)).map({ String(decoding: $0, as: UTF8.self) }),
                let grant = try await grant(id: grantID)
            {
                try await audit.append(AuditRecord(event: "code_replay", userID: grant.userID, clientID: clientID, tokenID: Redaction.shortened(code)))
                try await revoke(grant, reason: "authorization code presented twice")
            }
            throw OAuthError.invalidGrant("the authorization code is invalid, expired or already used")
        }
        // Remember the redemption for a while, to recognise a replay.
        try await codes.put(Self.redeemedKey(hash), Array(record.grantID.utf8), ttl: max(600, lifetimes.code * 10))
        guard record.clientID == clientID else { throw OAuthError.invalidGrant("the authorization code was issued to another client") }
        guard record.redirectURI == redirectURI else {
            throw OAuthError.invalidGrant("redirect_uri differs from the one the code was issued for")
        }
        guard let grant = try await grant(id: record.grantID) else { throw OAuthError.invalidGrant("the grant has been revoked") }
        try await audit.append(AuditRecord(
            event: "code_exchange", userID: grant.userID, clientID: clientID, scope: grant.scope.joined(separator: " "),
            tokenID: Redaction.shortened(code)))
        return grant
    }

    // MARK: - Tokens

    struct RefreshRecord: Codable {
        let grantID: String
        let clientID: String
    }

    /// A new access token (and refresh token, when `withRefreshToken`) for `grant`.
    public func issueTokens(for grant: Grant, withRefreshToken: Bool) async throws -> IssuedTokens {
        let access = Base64URL.random(bytes: 32)
        let now = Date()
        let record = AccessTokenRecord(
            grantID: grant.id, clientID: grant.clientID, userID: grant.userID, scope: grant.scope,
            issuedAt: now, expiresAt: now.addingTimeInterval(TimeInterval(lifetimes.access)))
        try await tokens.put(TokenHash.of(access), record.encoded(), ttl: lifetimes.access)
        try await tokens.addToIndex(Self.grantIndex(grant.id), member: TokenHash.of(access), ttl: lifetimes.access)
        var refresh: String?
        if withRefreshToken {
            let token = Base64URL.random(bytes: 32)
            try await refreshTokens.put(
                TokenHash.of(token), RecordCoding.encode(RefreshRecord(grantID: grant.id, clientID: grant.clientID)), ttl: lifetimes.refresh)
            try await refreshTokens.addToIndex(Self.grantIndex(grant.id), member: TokenHash.of(token), ttl: lifetimes.refresh)
            refresh = token
        }
        // The grant may have been revoked meanwhile (a replayed code racing this exchange). Checking
        // after the tokens are indexed closes the gap: a revocation either found them in the index
        // or ran before this check, which then takes them back.
        guard try await self.grant(id: grant.id) != nil else {
            try await deleteIssued(in: tokens, for: grant.id)
            try await deleteIssued(in: refreshTokens, for: grant.id)
            throw OAuthError.invalidGrant("the grant has been revoked")
        }
        return IssuedTokens(accessToken: access, expiresIn: lifetimes.access, refreshToken: refresh, scope: grant.scope)
    }

    /// Rotates a refresh token: the presented one is taken (once), the grant's current access
    /// tokens end, and a new pair is issued. A rotated-out token presented again means it was
    /// copied: the whole grant ends (RFC 9700 4.14.2).
    public func refresh(_ token: String, clientID: String) async throws -> IssuedTokens {
        let hash = TokenHash.of(token)
        guard let bytes = try await refreshTokens.take(hash), let record = RecordCoding.decode(RefreshRecord.self, bytes) else {
            if let grantID = try await refreshTokens.get(Self.rotatedKey(hash)).map({ String(decoding: $0, as: UTF8.self) }),
                let grant = try await grant(id: grantID)
            {
                try await audit.append(AuditRecord(
                    event: "refresh_reuse", userID: grant.userID, clientID: clientID, tokenID: Redaction.shortened(token),
                    detail: "a rotated refresh token was presented again: suspected theft"))
                try await revoke(grant, reason: "refresh token reused")
            }
            throw OAuthError.invalidGrant("the refresh token is invalid, expired or already used")
        }
        try await refreshTokens.put(Self.rotatedKey(hash), Array(record.grantID.utf8), ttl: lifetimes.refresh)
        try await refreshTokens.removeFromIndex(Self.grantIndex(record.grantID), member: hash)
        guard record.clientID == clientID else { throw OAuthError.invalidGrant("the refresh token was issued to another client") }
        guard let grant = try await grant(id: record.grantID) else { throw OAuthError.invalidGrant("the grant has been revoked") }
        try await audit.append(AuditRecord(
            event: "refresh", userID: grant.userID, clientID: clientID, scope: grant.scope.joined(separator: " "),
            tokenID: Redaction.shortened(token)))
        try await deleteIssued(in: tokens, for: grant.id)
        return try await issueTokens(for: grant, withRefreshToken: true)
    }

    /// Deletes every token `store` holds for the grant, and the grant's index there.
    private func deleteIssued(in store: any RecordStore, for grantID: String) async throws {
        for hash in try await store.members(ofIndex: Self.grantIndex(grantID)) { try await store.delete(hash) }
        try await store.deleteIndex(Self.grantIndex(grantID))
    }

    // MARK: - Keys

    static func grantKey(_ id: String) -> String { "grant:\(id)" }
    static func userIndex(_ userID: String) -> String { "grants-of:\(userID)" }
    static func grantIndex(_ grantID: String) -> String { "issued-for:\(grantID)" }
    static func redeemedKey(_ hash: String) -> String { "redeemed:\(hash)" }
    static func rotatedKey(_ hash: String) -> String { "rotated:\(hash)" }
}
