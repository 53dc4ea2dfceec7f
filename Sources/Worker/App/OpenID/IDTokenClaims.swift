import JWTKit

/// The claims of an ID token (OpenID Connect Core 1.0, 2 and 3.1.3.6). Absent optionals are
/// left out of the token; `userClaims` (profile and email claims, when no access token is
/// issued to fetch them from /userinfo, Core 5.4) sit beside the others.
struct IDTokenClaims: JWTPayload, Equatable {
    let iss: String
    let sub: String
    let aud: String
    let exp: Int
    let iat: Int
    var auth_time: Int?
    var nonce: String?
    var at_hash: String?
    /// The session at this server the user signed in with (Front-/Back-Channel Logout 1.0).
    var sid: String?
    var userClaims: [String: String] = [:]

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ClaimName.self)
        // The user's claims first: the protocol claims below win should a site name one the same.
        try UserClaims.encode(userClaims, into: &container)
        try container.encode(iss, forKey: ClaimName("iss"))
        try container.encode(sub, forKey: ClaimName("sub"))
        try container.encode(aud, forKey: ClaimName("aud"))
        try container.encode(exp, forKey: ClaimName("exp"))
        try container.encode(iat, forKey: ClaimName("iat"))
        try container.encodeIfPresent(auth_time, forKey: ClaimName("auth_time"))
        try container.encodeIfPresent(nonce, forKey: ClaimName("nonce"))
        try container.encodeIfPresent(at_hash, forKey: ClaimName("at_hash"))
        try container.encodeIfPresent(sid, forKey: ClaimName("sid"))
    }

    init(iss: String, sub: String, aud: String, exp: Int, iat: Int, auth_time: Int?, nonce: String?, at_hash: String?, sid: String?) {
        self.iss = iss
        self.sub = sub
        self.aud = aud
        self.exp = exp
        self.iat = iat
        self.auth_time = auth_time
        self.nonce = nonce
        self.at_hash = at_hash
        self.sid = sid
    }

    /// Never decoded: the server only issues ID tokens.
    init(from decoder: any Decoder) throws {
        throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "ID tokens are issued here, not read"))
    }

    /// Issuing, not verifying.
    func verify(using algorithm: some JWTAlgorithm) throws {}
}
