import Foundation
import SharedPlatform
import SharedStorage

/// Authorization codes (RFC 6749 4.1): issued once consent is given, exchanged once for tokens.
/// A code is taken atomically, so of concurrent exchanges one wins; one presented again ends
/// the grant it came from.
package struct CodeExchange: Sendable {
    let ledger: GrantLedger

    /// A one-time code for `grant`, bound to its client, redirect URI and PKCE challenge.
    package func issue(
        for grant: Grant, redirectURI: String, redirectURIGiven: Bool = true, pkce: PKCEChallenge? = nil, nonce: String? = nil
    ) async throws -> String {
        let code = Base64URL.random(bytes: 32)
        let record = CodeRecord(
            grantID: grant.id, clientID: grant.clientID, redirectURI: redirectURI, redirectURIGiven: redirectURIGiven, pkce: pkce,
            grant: grant, nonce: nonce)
        try await ledger.codes.put(TokenHash.of(code), record.encoded(), ttl: ledger.lifetimes.code)
        return code
    }

    /// Exchanges a code for tokens, once. A code presented by another client, with another
    /// redirect URI or without its PKCE verifier is burnt; a code presented again ends the grant
    /// it came from (RFC 6749 4.1.2).
    package func exchange(
        _ code: String, clientID: String, redirectURI: String?, codeVerifier: String? = nil, withRefreshToken: Bool
    ) async throws -> IssuedTokens {
        let hash = TokenHash.of(code)
        guard let stored = try await ledger.codes.take(hash), let record = CodeRecord.decode(stored) else {
            try await endGrantOfReplayedCode(code, hash: hash, clientID: clientID)
            throw OAuthError.invalidGrant("the authorization code is invalid, expired or already used")
        }
        // Whatever follows, the code is spent: its redemption is remembered for a while, to
        // recognise a replay. That write goes with the checks and the new tokens' writes, in
        // the same round trip (or batch), not in one of its own before them.
        async let remembered: Void = ledger.codes.put(
            Self.redeemedKey(hash), Array(record.grantID.utf8), ttl: max(600, ledger.lifetimes.code * 10))
        do {
            let grant = try await redeem(record, clientID: clientID, redirectURI: redirectURI, codeVerifier: codeVerifier)
            let exchange = AuditRecord(
                event: "code_exchange", userID: grant.userID, clientID: clientID, scope: grant.scope.joined(separator: " "),
                tokenID: Redaction.shortened(code))
            var issued = try await ledger.issueTokens(for: grant, withRefreshToken: withRefreshToken, auditing: exchange)
            try await remembered
            issued.nonce = record.nonce
            return issued
        } catch let refusal as OAuthError {
            // The code stays spent: a refusal is answered once the redemption is remembered.
            try await remembered
            throw refusal
        } catch {
            // The server failed (a store timed out), not the client: the code goes back, so the
            // client's retry is an exchange, not a replay that would end the user's grant. Tokens
            // already stored by this attempt were never handed out; they are unknown and expire.
            _ = try? await remembered
            async let restored: Void = ledger.codes.put(hash, stored, ttl: ledger.lifetimes.code)
            async let forgotten: Void = ledger.codes.delete(Self.redeemedKey(hash))
            _ = try? await restored
            _ = try? await forgotten
            throw error
        }
    }

    /// A code that is gone was presented: if it was redeemed before, whoever holds what it gave
    /// may be a thief, so the grant ends (RFC 6749 4.1.2).
    private func endGrantOfReplayedCode(_ code: String, hash: String, clientID: String) async throws {
        guard let grantID = try await ledger.codes.get(Self.redeemedKey(hash)).map({ String(decoding: $0, as: UTF8.self) }),
            let grant = try await ledger.grant(id: grantID)
        else { return }
        try await ledger.audit.append(AuditRecord(event: "code_replay", userID: grant.userID, clientID: clientID, tokenID: Redaction.shortened(code)))
        try await ledger.revoke(grant, reason: "authorization code presented twice")
    }

    /// The grant a taken code was issued for, if this request may have it. The stored grant is
    /// read only when the code has no copy of it.
    private func redeem(_ record: CodeRecord, clientID: String, redirectURI: String?, codeVerifier: String?) async throws -> Grant {
        if let refusal = Self.refusal(of: record, clientID: clientID, redirectURI: redirectURI, codeVerifier: codeVerifier) { throw refusal }
        guard let grant = try await ledger.grant(copied: record.grant, id: record.grantID) else {
            throw OAuthError.invalidGrant("the grant has been revoked")
        }
        return grant
    }

    /// Why the token request may not have the code's grant, if it may not.
    private static func refusal(of record: CodeRecord, clientID: String, redirectURI: String?, codeVerifier: String?) -> OAuthError? {
        guard record.clientID == clientID else { return .invalidGrant("the authorization code was issued to another client") }
        if let redirectURI {
            guard record.redirectURI == redirectURI else { return .invalidGrant("redirect_uri differs from the one the code was issued for") }
        } else if record.redirectURIGiven ?? true {
            return .invalidGrant("redirect_uri is required: the authorization request named one")
        }
        switch (record.pkce, codeVerifier) {
        case (let challenge?, let verifier?):
            return challenge.isSatisfied(by: verifier) ? nil : .invalidGrant("code_verifier does not match the code_challenge")
        case (.some, nil):
            return .invalidGrant("code_verifier is required: the authorization request sent a code_challenge")
        case (nil, .some):
            // A verifier for a code issued without a challenge: someone stripped the challenge
            // from the authorization request (a PKCE downgrade, RFC 9700 4.8.2).
            return .invalidGrant("code_verifier sent for a code issued without a code_challenge")
        case (nil, nil):
            return nil
        }
    }

    static func redeemedKey(_ hash: String) -> String { "redeemed:\(hash)" }
}

extension GrantLedger {
    package var codeExchange: CodeExchange { CodeExchange(ledger: self) }
}
