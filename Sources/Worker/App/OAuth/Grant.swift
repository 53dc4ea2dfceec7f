import Foundation
import SharedPlatform
import SharedStorage

/// What a user gave a client: the thing the review page lists and revokes.
package struct Grant: Codable, Sendable, Equatable {
    package let id: String
    package let userID: String?
    package let clientID: String
    package let scope: [String]
    package let createdAt: Date
    /// The name the user signed in with (introspection's `username`); nil for grants stored
    /// before it was kept, and for clients acting for themselves.
    package var username: String? = nil
    /// When the user last entered their password before giving this grant (the ID token's
    /// `auth_time`); nil for grants stored before it was kept.
    package var authTime: Date? = nil
    /// The browser session the grant was given in, as ID tokens name it (`sid`).
    package var sid: String? = nil
}

extension Grant {
    /// The stored JSON, by hand in `RecordCoding`'s shape (keys sorted, dates in milliseconds):
    /// every code exchange and refresh reads its grant twice.
    func encoded() -> [UInt8] {
        var json = JSONWriter(capacity: 160)
        if let authTime { json.field("authTime", authTime.storageMilliseconds) }
        json.field("clientID", clientID)
        json.field("createdAt", createdAt.storageMilliseconds)
        json.field("id", id)
        json.field("scope", scope)
        if let sid { json.field("sid", sid) }
        json.field("userID", userID)
        json.field("username", username)
        return json.finish()
    }

    static func decode(_ bytes: [UInt8]) -> Grant? {
        guard case .object(let fields)? = JSONScanner.parse(bytes) else { return nil }
        return Grant(fields: fields)
    }

    /// A grant from the fields of its stored JSON, alone or nested in a code or refresh record.
    init?(fields: [String: JSONValue]) {
        guard let id = fields["id"]?.stringValue, let clientID = fields["clientID"]?.stringValue,
            let scope = fields["scope"]?.stringArray, let createdAt = fields["createdAt"]?.storedDate
        else { return nil }
        self.init(
            id: id, userID: fields["userID"]?.stringValue, clientID: clientID, scope: scope, createdAt: createdAt,
            username: fields["username"]?.stringValue, authTime: fields["authTime"]?.storedDate, sid: fields["sid"]?.stringValue)
    }
}
