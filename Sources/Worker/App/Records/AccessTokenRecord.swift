import Foundation
import SharedPlatform
import SharedStorage

/// What the `tokens` group holds for an access token, under the token's `TokenHash`.
package struct AccessTokenRecord: Codable, Sendable, Equatable {
    /// The grant (user, client, scope) this token came from; revoking the grant revokes it.
    package var grantID: String
    package var clientID: String
    /// Nil for a token issued to a client on its own behalf (client credentials).
    package var userID: String?
    package var scope: [String]
    package var issuedAt: Date
    package var expiresAt: Date
    /// The name the user signed in with, so introspection need not read the user's record;
    /// nil in records written before it was kept.
    package var username: String?

    package init(
        grantID: String, clientID: String, userID: String?, scope: [String], issuedAt: Date, expiresAt: Date, username: String? = nil
    ) {
        self.grantID = grantID
        self.clientID = clientID
        self.userID = userID
        self.scope = scope
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.username = username
    }

    /// The stored JSON, written by hand in `RecordCoding`'s shape (keys sorted, dates in
    /// milliseconds): every token issued writes one, every token presented reads one.
    package func encoded() -> [UInt8] {
        var json = JSONWriter(capacity: 192)
        json.field("clientID", clientID)
        json.field("expiresAt", expiresAt.storageMilliseconds)
        json.field("grantID", grantID)
        json.field("issuedAt", issuedAt.storageMilliseconds)
        json.field("scope", scope)
        json.field("userID", userID)
        json.field("username", username)
        return json.finish()
    }

    package static func decode(_ bytes: [UInt8]) -> AccessTokenRecord? {
        guard case .object(let fields)? = JSONScanner.parse(bytes), let grantID = fields["grantID"]?.stringValue,
            let clientID = fields["clientID"]?.stringValue, let scope = fields["scope"]?.stringArray,
            let issuedAt = fields["issuedAt"]?.storedDate, let expiresAt = fields["expiresAt"]?.storedDate
        else { return nil }
        return AccessTokenRecord(
            grantID: grantID, clientID: clientID, userID: fields["userID"]?.stringValue, scope: scope,
            issuedAt: issuedAt, expiresAt: expiresAt, username: fields["username"]?.stringValue)
    }
}
