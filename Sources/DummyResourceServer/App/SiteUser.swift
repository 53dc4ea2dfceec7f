import Hummingbird

/// The profile the stub website answers for a logged-in user: `{"id": ..., "firstName": ...}`.
struct SiteUser: ResponseEncodable, Equatable {
    let id: String
    let firstName: String

    /// The first name is the username up to its first "." or "@" ("bob.smith@example.com" is "bob").
    init(username: String) {
        id = username
        firstName = String(username.prefix { $0 != "." && $0 != "@" })
    }
}
