import Crypto
import Foundation
import SharedPlatform

/// Adds an ID token (OpenID Connect Core 1.0, 3.1.3.3) to the tokens of a grant that has the
/// `openid` scope: signed with the client's algorithm by the current key, for
/// `auth_server.id_token_ttl` seconds. `aud` is the client alone, so no `azp` is needed (3.1.3.7).
struct IDTokenIssuer: Sendable {
    let keyRing: KeyRing
    /// `auth_server.url`: the `iss` of every token.
    let issuer: String
    let lifetime: Int
    let subjects: SubjectIdentifiers

    /// `issued` with its `id_token`, when its grant asked for one.
    func adding(to issued: IssuedTokens, for client: RegisteredClient) async throws -> IssuedTokens {
        guard let grant = issued.grant, grant.scope.contains(OpenIDScopes.openID), let userID = grant.userID else { return issued }
        var withToken = issued
        withToken.idToken = try await idToken(
            for: grant, userID: userID, client: client, accessToken: issued.accessToken, nonce: issued.nonce)
        return withToken
    }

    /// `userClaims`: the profile and email claims, for an ID token issued without an access token.
    func idToken(
        for grant: Grant, userID: String, client: RegisteredClient, accessToken: String?, nonce: String?,
        userClaims: [String: String] = [:]
    ) async throws -> String {
        let now = Int(Date().timeIntervalSince1970)
        let algorithm = client.idTokenSigningAlgorithm
        var claims = IDTokenClaims(
            iss: issuer, sub: subjects.subject(of: userID, for: client), aud: client.clientID, exp: now + lifetime, iat: now,
            auth_time: grant.authTime.map { Int($0.timeIntervalSince1970) }, nonce: nonce,
            at_hash: accessToken.map { Self.halfHash($0, algorithm: algorithm) }, sid: grant.sid)
        claims.userClaims = userClaims.filter { $0.key != "sub" }
        return try await keyRing.sign(claims, with: algorithm)
    }

    /// `at_hash` (3.1.3.6): the left half of the hash of the token's ASCII, base64url-encoded,
    /// with the hash of the signing algorithm (SHA-256; SHA-512 for Ed25519).
    static func halfHash(_ value: String, algorithm: SigningAlgorithm) -> String {
        let digest: [UInt8] = switch algorithm {
        case .es256, .rs256: Array(SHA256.hash(data: Array(value.utf8)))
        case .edDSA: Array(SHA512.hash(data: Array(value.utf8)))
        }
        return Base64URL.encode(digest.prefix(digest.count / 2))
    }
}
