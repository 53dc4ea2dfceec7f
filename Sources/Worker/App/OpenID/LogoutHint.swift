import JWTKit

/// What the end-session endpoint reads from an `id_token_hint` (RP-Initiated Logout 1.0, 2):
/// the client it was issued to and the user. Its signature is checked against this server's
/// keys; its expiry is not, since a relying party may log out with an ID token that expired.
struct LogoutHint: JWTPayload {
    let iss: String
    let aud: String
    let sub: String

    private enum CodingKeys: String, CodingKey { case iss, aud, sub }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        iss = try container.decode(String.self, forKey: .iss)
        sub = try container.decode(String.self, forKey: .sub)
        // This server's ID tokens name one audience; an array of one is read too.
        if let single = try? container.decode(String.self, forKey: .aud) {
            aud = single
        } else {
            let many = try container.decode([String].self, forKey: .aud)
            guard many.count == 1 else { throw DecodingError.dataCorruptedError(forKey: .aud, in: container, debugDescription: "one audience") }
            aud = many[0]
        }
    }

    func verify(using algorithm: some JWTAlgorithm) throws {}
}
