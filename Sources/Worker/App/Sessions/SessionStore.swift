import Crypto
import Foundation
import Hummingbird
import SharedPlatform
import SharedStorage

/// A signed-in browser's session. Only a sign-in creates one: a visitor who has not signed in
/// has none (the sign-in form's token lives in the browser, see `LoginFormTokens`).
struct Session: Codable, Sendable, Equatable {
    var userID: String
    /// The name the user signed in with, for the grants this session makes.
    var username: String?
    /// When the user entered their password (OpenID Connect's `auth_time`); nil for sessions
    /// stored before it was kept.
    var authTime: Date? = nil
}

/// Sessions in the `session` storage group, behind the `sid` cookie. The cookie carries a random
/// id signed by `SessionIDSigner`; the store keeps sessions under the SHA-256 of the id.
struct SessionStore: Sendable {
    static let cookieName = "sid"

    let store: any RecordStore
    let signer: SessionIDSigner
    /// Secure cookies when the public URL is https.
    let secureCookies: Bool

    init(store: any RecordStore, secret: String, publicURL: String) {
        self.store = store
        self.signer = SessionIDSigner(secret: secret)
        self.secureCookies = publicURL.lowercased().hasPrefix("https://")
    }

    /// The request's session and its id, or nil when it has none (or a forged one).
    func load(_ request: Request) async throws -> (id: String, session: Session)? {
        guard let value = request.cookies[Self.cookieName]?.value, let id = signer.verifiedID(value),
            let bytes = try await store.get(TokenHash.of(id)),
            let session = RecordCoding.decode(Session.self, bytes)
        else { return nil }
        return (id, session)
    }

    /// The site user a session is signed in as, if the site's record of them is still kept.
    func user(of session: Session, in users: UserDirectory) async throws -> SiteUser? {
        try await users.user(session.userID)
    }

    /// A browser that is signed in: its session and the user it belongs to.
    struct SignedIn {
        let sessionID: String
        let session: Session
        let user: SiteUser
    }

    /// The request's signed-in session, or nil (no session, or its user forgotten).
    func signedIn(_ request: Request, users: UserDirectory) async throws -> SignedIn? {
        guard let (id, session) = try await load(request), let user = try await user(of: session, in: users) else { return nil }
        return SignedIn(sessionID: id, session: session, user: user)
    }

    /// Stores `session` under a new id and returns the cookie to send. A new id at every login
    /// keeps an id planted before login (session fixation) from becoming a signed-in session.
    func create(_ session: Session, replacing old: String? = nil) async throws -> (id: String, cookie: Cookie) {
        if let old { try await store.delete(TokenHash.of(old)) }
        let id = Base64URL.random(bytes: 32)
        try await store.put(TokenHash.of(id), try RecordCoding.encode(session))
        return (id, cookie(value: signer.cookieValue(for: id)))
    }

    /// The session's id as ID tokens name it (`sid`): derived from the id, never the id itself,
    /// which would let a relying party take over the session.
    static func publicID(of sessionID: String) -> String {
        String(Base64URL.encode(SHA256.hash(data: Array("oauth2-server sid:\(sessionID)".utf8))).prefix(22))
    }

    func destroy(_ id: String) async throws {
        try await store.delete(TokenHash.of(id))
    }

    /// A cookie that makes the browser forget the session.
    var expiredCookie: Cookie { cookie(value: "", maxAge: 0) }

    private func cookie(value: String, maxAge: Int? = nil) -> Cookie {
        Cookie(name: Self.cookieName, value: value, maxAge: maxAge, path: "/", secure: secureCookies, httpOnly: true, sameSite: .lax)
    }
}
