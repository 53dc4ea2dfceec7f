/// The scopes OpenID Connect Core 1.0 defines (sections 3.1.2.1 and 5.4), known beside the
/// site's own: `openid` asks for an ID token, `profile` and `email` for those claims.
package enum OpenIDScopes {
    package static let openID = "openid"
    package static let all = ["openid", "profile", "email"]

    /// The words the consent page shows for each.
    package static let descriptions = [
        "openid": "Sign you in with your account here (your user id)",
        "profile": "See your name",
        "email": "See your e-mail address",
    ]
}
