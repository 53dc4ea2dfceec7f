/// The userinfo answer (OpenID Connect Core 1.0, 5.3.2): the released claims as one object.
package struct UserInfoAnswer: Encodable {
    let claims: [String: String]

    package init(claims: [String: String]) { self.claims = claims }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ClaimName.self)
        try UserClaims.encode(claims, into: &container)
    }
}
