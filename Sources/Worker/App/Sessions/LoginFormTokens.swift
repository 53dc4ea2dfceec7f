import Crypto
import Foundation
import Hummingbird
import SharedPlatform
import SharedStorage

/// The sign-in form's anti-CSRF token, kept by the browser instead of the server, so a visitor
/// who only loads the form makes the server store nothing.
///
/// The form carries a random nonce; a cookie carries the same nonce, its expiry and their HMAC
/// under a key derived from `auth_server.session_secret`. A POST must bring both and they must
/// agree (a signed double-submit cookie): another site can neither read the cookie nor mint
/// one, and the cookie is `SameSite=Strict`, so a cross-site form post does not even carry it.
/// Each token buys one try: its first use is counted in the session store (an atomic counter in
/// every backend) until it expires, and every answer to a POST carries a fresh one.
struct LoginFormTokens: Sendable {
    static let cookieName = "login_form"
    /// Long enough to read the page and type a password; a stale page is refused with "this
    /// form has expired" and a fresh form.
    static let lifetime = Duration.seconds(3600)

    /// Where spent tokens are counted (the `session` group).
    let store: any RecordStore
    private let key: SymmetricKey
    private let secureCookies: Bool

    init(store: any RecordStore, secret: String, publicURL: String) {
        self.store = store
        // A key of its own: a session cookie's MAC can never pass for a form token's.
        self.key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Array(secret.utf8)), info: Array("oauth2-server login form token".utf8),
            outputByteCount: 32)
        self.secureCookies = publicURL.lowercased().hasPrefix("https://")
    }

    /// A new token for a form: the value of its `_csrf` field and the cookie that vouches for it.
    func issue(now: Int64 = Date().storageMilliseconds) -> (field: String, cookie: Cookie) {
        let nonce = Base64URL.random(bytes: 24)
        let signed = "\(nonce).\(now + Self.lifetimeMilliseconds)"
        let cookie = Cookie(
            name: Self.cookieName, value: "\(signed).\(mac(signed))", maxAge: Int(Self.lifetime.components.seconds), path: "/login",
            secure: secureCookies, httpOnly: true, sameSite: .strict)
        return (nonce, cookie)
    }

    /// Whether the posted `_csrf` field matches the request's unexpired, untampered cookie and
    /// this is the token's first use. Spends the token.
    func redeem(field: String?, in request: Request, now: Int64 = Date().storageMilliseconds) async throws -> Bool {
        guard let field, let value = request.cookies[Self.cookieName]?.value, let (nonce, expiry) = verified(value), expiry > now,
            Data(field.utf8).constantTimeEquals(Data(nonce.utf8))
        else { return false }
        let uses = try await store.countFailure("login-form:" + TokenHash.of(nonce), now: now, window: expiry - now)
        return uses.count == 1
    }

    /// A cookie that makes the browser forget its token (after a sign-in, which needs no more).
    var spentCookie: Cookie {
        Cookie(name: Self.cookieName, value: "", maxAge: 0, path: "/login", secure: secureCookies, httpOnly: true, sameSite: .strict)
    }

    private static var lifetimeMilliseconds: Int64 { Self.lifetime.components.seconds * 1000 }

    private func mac(_ signed: String) -> String {
        Base64URL.encode(Array(HMAC<SHA256>.authenticationCode(for: Array(signed.utf8), using: key)))
    }

    /// The nonce and expiry of a cookie whose MAC is right.
    private func verified(_ value: String) -> (nonce: String, expiry: Int64)? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let expiry = Int64(parts[1]), let mac = Base64URL.decode(parts[2]) else { return nil }
        let signed = "\(parts[0]).\(parts[1])"
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Array(signed.utf8), using: key) else { return nil }
        return (String(parts[0]), expiry)
    }
}
