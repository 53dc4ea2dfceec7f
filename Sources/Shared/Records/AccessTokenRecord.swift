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

    public func encoded() -> [UInt8] { Array((try? RecordCoding.encoder.encode(self)) ?? Data()) }

    public static func decode(_ bytes: [UInt8]) -> AccessTokenRecord? {
        try? RecordCoding.decoder.decode(AccessTokenRecord.self, from: Data(bytes))
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

    public init(id: String, siteToken: String, profile: [String: String] = [:]) {
        self.id = id
        self.siteToken = siteToken
        self.profile = profile
    }

    enum CodingKeys: String, CodingKey {
        case id
        case siteToken = "site_token"
        case profile
    }

    public func encoded() -> [UInt8] { Array((try? RecordCoding.encoder.encode(self)) ?? Data()) }

    public static func decode(_ bytes: [UInt8]) -> SiteUser? {
        try? RecordCoding.decoder.decode(SiteUser.self, from: Data(bytes))
    }
}

/// One JSON encoding for every stored record, with dates in milliseconds.
enum RecordCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }()
}
