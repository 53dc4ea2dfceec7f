import Foundation

/// What the `tokens` group holds for an access token, under the token's `TokenHash`.
public struct AccessTokenRecord: Codable, Sendable, Equatable {
    /// The grant (user, client, scope) this token came from; revoking the grant revokes it.
    public var grantID: String
    public var clientID: String
    /// Nil for a token issued to a client on its own behalf (client credentials).
    public var userID: String?
    public var scope: [String]
    public var issuedAt: Date
    public var expiresAt: Date
    /// The name the user signed in with, so introspection need not read the user's record;
    /// nil in records written before it was kept.
    public var username: String?

    public init(
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
    public func encoded() -> [UInt8] {
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

    public static func decode(_ bytes: [UInt8]) -> AccessTokenRecord? {
        guard case .object(let fields)? = JSONScanner.parse(bytes), let grantID = fields["grantID"]?.stringValue,
            let clientID = fields["clientID"]?.stringValue, let scope = fields["scope"]?.stringArray,
            let issuedAt = fields["issuedAt"]?.storedDate, let expiresAt = fields["expiresAt"]?.storedDate
        else { return nil }
        return AccessTokenRecord(
            grantID: grantID, clientID: clientID, userID: fields["userID"]?.stringValue, scope: scope,
            issuedAt: issuedAt, expiresAt: expiresAt, username: fields["username"]?.stringValue)
    }
}

/// A user of the existing site as the authorization server knows them: what the resource
/// server's login returned, kept in the `users` group (never shown to clients).
public struct SiteUser: Codable, Sendable, Equatable {
    public var id: String
    /// The site's own credential for this user ("remember me" cookie, API token), used to call
    /// the site's API on the user's behalf.
    public var siteToken: String
    /// Display fields for pages (firstName, …), as the site returned them.
    public var profile: [String: String]
    /// The name the user signed in with, for introspection's `username`.
    public var username: String?

    public init(id: String, siteToken: String, profile: [String: String] = [:], username: String? = nil) {
        self.id = id
        self.siteToken = siteToken
        self.profile = profile
        self.username = username
    }

    enum CodingKeys: String, CodingKey {
        case id
        case siteToken = "site_token"
        case profile
        case username
    }

    /// The stored JSON, by hand as for tokens: /api reads a user on every call.
    public func encoded() -> [UInt8] {
        var profileJSON = JSONWriter(capacity: 128)
        for (name, value) in profile.sorted(by: { $0.key < $1.key }) { profileJSON.field(named: name, value) }
        var json = JSONWriter(capacity: 256)
        json.field("id", id)
        json.field("profile", json: profileJSON.finish())
        json.field("site_token", siteToken)
        json.field("username", username)
        return json.finish()
    }

    public static func decode(_ bytes: [UInt8]) -> SiteUser? {
        guard case .object(let fields)? = JSONScanner.parse(bytes), let id = fields["id"]?.stringValue,
            let siteToken = fields["site_token"]?.stringValue
        else { return nil }
        var profile: [String: String] = [:]
        if case .object(let members)? = fields["profile"] {
            for (name, value) in members {
                guard let text = value.stringValue else { return nil }
                profile[name] = text
            }
        }
        return SiteUser(id: id, siteToken: siteToken, profile: profile, username: fields["username"]?.stringValue)
    }
}

/// One JSON encoding for every stored record (tokens, users, grants, sessions, audit lines),
/// with dates in milliseconds.
public enum RecordCoding {
    public static func encode(_ value: some Encodable) throws -> [UInt8] { Array(try encoder.encode(value)) }

    public static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) -> T? {
        try? decoder.decode(type, from: Data(bytes))
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }()
}

extension Date {
    /// This date at the millisecond precision every store keeps, so a record reads back equal.
    public var storagePrecision: Date { Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded() / 1000) }

    /// Milliseconds since 1970, as stores keep dates.
    public var storageMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
}
