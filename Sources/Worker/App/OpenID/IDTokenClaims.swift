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

    private struct Key: CodingKey {
        let stringValue: String
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        // The user's claims first: the protocol claims below win should a site name one the same.
        for (name, value) in userClaims {
            if name == "email_verified" { try container.encode(value == "true", forKey: Key(name)) } else { try container.encode(value, forKey: Key(name)) }
        }
        try container.encode(iss, forKey: Key("iss"))
        try container.encode(sub, forKey: Key("sub"))
        try container.encode(aud, forKey: Key("aud"))
        try container.encode(exp, forKey: Key("exp"))
        try container.encode(iat, forKey: Key("iat"))
        try container.encodeIfPresent(auth_time, forKey: Key("auth_time"))
        try container.encodeIfPresent(nonce, forKey: Key("nonce"))
        try container.encodeIfPresent(at_hash, forKey: Key("at_hash"))
        try container.encodeIfPresent(sid, forKey: Key("sid"))
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
