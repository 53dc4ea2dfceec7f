import Foundation
import SharedPlatform
import SharedStorage

// The records a code exchange and a refresh read and write, coded by hand in `RecordCoding`'s
// shape (keys sorted, dates in milliseconds, absent optionals left out) so records written by
// earlier versions read back and earlier versions read these. Each code and refresh token
// carries a copy of its grant: a grant never changes once stored, so the exchange or refresh
// only has to ask whether the grant still exists (after the new tokens are indexed, see
// `GrantLedger.issueTokens`) instead of reading it first as well. Records stored before the
// copy was kept have none, and the grant is read.

/// What a one-time code stands for.
struct CodeRecord: Equatable {
    let grantID: String
    let clientID: String
    let redirectURI: String
    /// False when the authorization request left redirect_uri out (the client's only
    /// registered one was used); the token request may then leave it out too (RFC 6749 4.1.3).
    let redirectURIGiven: Bool?
    let pkce: PKCEChallenge?
    let grant: Grant?
    /// OpenID Connect: the authorization request's `nonce`, for the ID token.
    var nonce: String? = nil

    func encoded() -> [UInt8] {
        var json = JSONWriter(capacity: 384)
        json.field("clientID", clientID)
        if let grant { json.field("grant", json: grant.encoded()) }
        json.field("grantID", grantID)
        if let nonce { json.field("nonce", nonce) }
        if let pkce {
            var challenge = JSONWriter(capacity: 160)
            challenge.field("challenge", pkce.challenge)
            challenge.field("method", pkce.method.rawValue)
            json.field("pkce", json: challenge.finish())
        }
        json.field("redirectURI", redirectURI)
        if let redirectURIGiven { json.field("redirectURIGiven", redirectURIGiven) }
        return json.finish()
    }

    static func decode(_ bytes: [UInt8]) -> CodeRecord? {
        guard let fields = JSONScanner.parse(bytes)?.objectFields, let grantID = fields["grantID"]?.stringValue,
            let clientID = fields["clientID"]?.stringValue, let redirectURI = fields["redirectURI"]?.stringValue
        else { return nil }
        var pkce: PKCEChallenge?
        if let challenge = fields["pkce"]?.objectFields {
            guard let value = challenge["challenge"]?.stringValue,
                let method = challenge["method"]?.stringValue.flatMap(PKCEChallenge.Method.init(rawValue:))
            else { return nil }
            pkce = PKCEChallenge(challenge: value, method: method)
        }
        return CodeRecord(
            grantID: grantID, clientID: clientID, redirectURI: redirectURI, redirectURIGiven: fields["redirectURIGiven"]?.boolValue,
            pkce: pkce, grant: fields["grant"]?.objectFields.flatMap(Grant.init(fields:)), nonce: fields["nonce"]?.stringValue)
    }
}

extension GrantLedger {
    /// A live refresh token's record.
    package struct RefreshRecord: Sendable, Equatable {
        package let grantID: String
        package let clientID: String
        package let issuedAt: Date?
        package let expiresAt: Date?
        let grant: Grant?

        func encoded() -> [UInt8] {
            var json = JSONWriter(capacity: 320)
            json.field("clientID", clientID)
            if let expiresAt { json.field("expiresAt", expiresAt.storageMilliseconds) }
            if let grant { json.field("grant", json: grant.encoded()) }
            json.field("grantID", grantID)
            if let issuedAt { json.field("issuedAt", issuedAt.storageMilliseconds) }
            return json.finish()
        }

        static func decode(_ bytes: [UInt8]) -> RefreshRecord? {
            guard let fields = JSONScanner.parse(bytes)?.objectFields, let grantID = fields["grantID"]?.stringValue,
                let clientID = fields["clientID"]?.stringValue
            else { return nil }
            return RefreshRecord(
                grantID: grantID, clientID: clientID, issuedAt: fields["issuedAt"]?.storedDate, expiresAt: fields["expiresAt"]?.storedDate,
                grant: fields["grant"]?.objectFields.flatMap(Grant.init(fields:)))
        }
    }
}

/// What a rotated-out refresh token left behind: which grant it belonged to (to end the grant
/// if it comes back) and when it was rotated (for the grace window).
struct RotationRecord: Equatable {
    let grantID: String
    let clientID: String
    let rotatedAt: Date

    func encoded() -> [UInt8] {
        var json = JSONWriter(capacity: 128)
        json.field("clientID", clientID)
        json.field("grantID", grantID)
        json.field("rotatedAt", rotatedAt.storageMilliseconds)
        return json.finish()
    }

    static func decode(_ bytes: [UInt8]) -> RotationRecord? {
        guard let fields = JSONScanner.parse(bytes)?.objectFields, let grantID = fields["grantID"]?.stringValue,
            let clientID = fields["clientID"]?.stringValue, let rotatedAt = fields["rotatedAt"]?.storedDate
        else { return nil }
        return RotationRecord(grantID: grantID, clientID: clientID, rotatedAt: rotatedAt)
    }
}
