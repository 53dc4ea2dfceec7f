import Foundation
import SharedPlatform
import SharedStorage

/// Refresh tokens (RFC 6749 6, RFC 9700 4.14.2): each is used once and rotated into a new pair;
/// a rotated-out token presented again ends its grant, unless it is a retry within the grace window.
package struct RefreshRotation: Sendable {
    let ledger: GrantLedger

    /// Rotates a refresh token: the presented one is taken (once), the grant's current access
    /// tokens end, and a new pair is issued. A rotated-out token presented again means it was
    /// copied: the whole grant ends (RFC 9700 4.14.2) — unless it comes back within
    /// `graceSeconds` from the same client (a retry after a timeout, two instances refreshing at
    /// once), which gets the pair it was already rotated into.
    package func rotate(_ token: String, clientID: String, scope: [String]? = nil, graceSeconds: Int = 0) async throws -> IssuedTokens {
        let hash = TokenHash.of(token)
        guard let bytes = try await ledger.refreshTokens.take(hash), let record = GrantLedger.RefreshRecord.decode(bytes) else {
            if let again = try await presentedAgain(token, hash: hash, clientID: clientID, graceSeconds: graceSeconds) { return again }
            throw OAuthError.invalidGrant("the refresh token is invalid, expired or already used")
        }
        // The token is spent whatever follows: remember the rotation (for reuse detection) while
        // the grant is read, if the token has no copy of it.
        async let rotated: Void = ledger.refreshTokens.put(
            Self.rotatedKey(hash), RotationRecord(grantID: record.grantID, clientID: record.clientID, rotatedAt: Date()).encoded(),
            ttl: ledger.lifetimes.refresh)
        async let unindexed: Void = ledger.refreshTokens.removeFromIndex(GrantLedger.grantIndex(record.grantID), member: hash)
        let grant = record.clientID == clientID ? try await ledger.grant(copied: record.grant, id: record.grantID) : nil
        let refusal: OAuthError?
        if record.clientID != clientID {
            refusal = .invalidGrant("the refresh token was issued to another client")
        } else if let grant {
            let narrowed = scope.map { $0.allSatisfy(grant.scope.contains) } ?? true
            refusal = narrowed ? nil : .invalidScope("the requested scope exceeds what the user granted")
        } else {
            refusal = .invalidGrant("the grant has been revoked")
        }
        // The grant's access tokens end before the new one is indexed beside them.
        async let ended: Void = ledger.endAccessTokens(ofGrant: record.grantID, unless: refusal != nil)
        try await rotated
        try await unindexed
        try await ended
        if let refusal { throw refusal }
        guard let grant else { throw OAuthError.invalidGrant("the grant has been revoked") }
        let issued = try await ledger.issueTokens(
            for: grant, withRefreshToken: true, scope: scope,
            auditing: AuditRecord(
                event: "refresh", userID: grant.userID, clientID: clientID, scope: grant.scope.joined(separator: " "),
                tokenID: Redaction.shortened(token)))
        if graceSeconds > 0 {
            // Sealed under a key only the old refresh token yields: what the store keeps is
            // useless without the token, which the store never had in clear.
            try await ledger.refreshTokens.put(Self.rotatedIntoKey(hash), RotatedPair(issued).sealed(with: token), ttl: graceSeconds + 5)
        }
        return issued
    }

    /// A refresh token that is no longer live came back. Within the grace window, from the
    /// client it was issued to, the pair it was rotated into is handed out again (waiting a
    /// moment for a rotation still in progress); otherwise the grant it belonged to ends.
    private func presentedAgain(_ token: String, hash: String, clientID: String, graceSeconds: Int) async throws -> IssuedTokens? {
        let started = ContinuousClock.now
        while true {
            let waited = ContinuousClock.now - started
            guard let rotation = try await ledger.refreshTokens.get(Self.rotatedKey(hash)).flatMap(RotationRecord.decode)
            else {
                // Unknown, or taken a moment ago by a concurrent refresh that has not recorded the
                // rotation yet (a millisecond): worth a short wait only if a grace window applies.
                guard graceSeconds > 0, waited < .milliseconds(250) else { return nil }
                try await Task.sleep(for: .milliseconds(20))
                continue
            }
            if graceSeconds > 0, rotation.clientID == clientID, Date().timeIntervalSince(rotation.rotatedAt) <= TimeInterval(graceSeconds) {
                if let sealed = try await ledger.refreshTokens.get(Self.rotatedIntoKey(hash)), let pair = RotatedPair.open(sealed, with: token) {
                    // The same pair again, while it is itself unused; otherwise the copy is theft.
                    if let refresh = pair.refreshToken, try await ledger.refreshTokens.get(TokenHash.of(refresh)) != nil {
                        try await ledger.audit.append(AuditRecord(
                            event: "refresh_retry", clientID: clientID, tokenID: Redaction.shortened(token),
                            detail: "a just-rotated refresh token was presented again within the grace window"))
                        return pair.issuedTokens
                    }
                } else if waited < .seconds(2) {
                    try await Task.sleep(for: .milliseconds(50))  // the new pair is still being issued
                    continue
                }
            }
            guard let grant = try await ledger.grant(id: rotation.grantID) else { return nil }
            try await ledger.audit.append(AuditRecord(
                event: "refresh_reuse", userID: grant.userID, clientID: clientID, tokenID: Redaction.shortened(token),
                detail: "a rotated refresh token was presented again: suspected theft"))
            try await ledger.revoke(grant, reason: "refresh token reused")
            return nil
        }
    }

    static func rotatedKey(_ hash: String) -> String { "rotated:\(hash)" }
    static func rotatedIntoKey(_ hash: String) -> String { "rotated-into:\(hash)" }
}

extension GrantLedger {
    package var refreshRotation: RefreshRotation { RefreshRotation(ledger: self) }
}
