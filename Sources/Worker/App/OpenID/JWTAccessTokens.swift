import Foundation
import JWTKit
import SharedPlatform

/// RFC 9068 access tokens, for clients registered with `"access_token_format": "jwt"`: signed
/// (ES256) by the current key with `typ` `at+jwt`, so a resource server can check them offline
/// with the JWKS. This server still looks every one up when it is presented (/api, introspection),
/// so revoking one takes effect here at once; a third party checking offline sees it until it expires.
struct JWTAccessTokens: AccessTokenMinter {
    let keyRing: KeyRing
    let issuer: String
    let clients: @Sendable () -> ClientRegistry
    let subjects: SubjectIdentifiers

    /// RFC 9068 2.2.
    struct Claims: JWTPayload {
        let iss: String
        let sub: String
        let aud: String
        let exp: Int
        let iat: Int
        let jti: String
        let client_id: String
        let scope: String

        func verify(using algorithm: some JWTAlgorithm) throws {}
    }

    /// The audience of every access token: the site's API behind this server.
    var audience: String { "\(issuer)/api" }

    func mint(for record: AccessTokenRecord) async throws -> String? {
        guard let client = clients().client(record.clientID), client.accessTokenFormat == .jwt else { return nil }
        let claims = Claims(
            iss: issuer,
            // A client acting for itself is the subject (RFC 9068 2.2).
            sub: record.userID.map { subjects.subject(of: $0, for: client) } ?? client.clientID,
            aud: audience, exp: Int(record.expiresAt.timeIntervalSince1970), iat: Int(record.issuedAt.timeIntervalSince1970),
            jti: Base64URL.random(bytes: 16), client_id: client.clientID, scope: record.scope.joined(separator: " "))
        return try await keyRing.sign(claims, with: .default, type: "at+jwt")
    }
}
