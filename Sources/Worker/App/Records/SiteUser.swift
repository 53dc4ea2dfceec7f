import SharedPlatform

/// A user of the existing site as the authorization server knows them: what the resource
/// server's login returned, kept in the `users` group (never shown to clients).
package struct SiteUser: Codable, Sendable, Equatable {
    package var id: String
    /// The site's own credential for this user ("remember me" cookie, API token), used to call
    /// the site's API on the user's behalf.
    package var siteToken: String
    /// Display fields for pages (firstName, …), as the site returned them.
    package var profile: [String: String]
    /// The name the user signed in with, for introspection's `username`.
    package var username: String?

    package init(id: String, siteToken: String, profile: [String: String] = [:], username: String? = nil) {
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
    package func encoded() -> [UInt8] {
        var profileJSON = JSONWriter(capacity: 128)
        for (name, value) in profile.sorted(by: { $0.key < $1.key }) { profileJSON.field(named: name, value) }
        var json = JSONWriter(capacity: 256)
        json.field("id", id)
        json.field("profile", json: profileJSON.finish())
        json.field("site_token", siteToken)
        json.field("username", username)
        return json.finish()
    }

    package static func decode(_ bytes: [UInt8]) -> SiteUser? {
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
