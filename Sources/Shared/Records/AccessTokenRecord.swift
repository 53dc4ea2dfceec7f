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

    public init(grantID: String, clientID: String, userID: String?, scope: [String], issuedAt: Date, expiresAt: Date) {
        self.grantID = grantID
        self.clientID = clientID
        self.userID = userID
        self.scope = scope
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }

    public func encoded() -> [UInt8] { (try? RecordCoding.encode(self)) ?? [] }

    public static func decode(_ bytes: [UInt8]) -> AccessTokenRecord? { RecordCoding.decode(AccessTokenRecord.self, bytes) }
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

    public func encoded() -> [UInt8] { (try? RecordCoding.encode(self)) ?? [] }

    public static func decode(_ bytes: [UInt8]) -> SiteUser? { RecordCoding.decode(SiteUser.self, bytes) }
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
}
