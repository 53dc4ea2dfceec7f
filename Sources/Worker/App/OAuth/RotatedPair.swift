import Crypto
import Foundation
import SharedStorage

/// The pair a refresh token was rotated into, kept for the refresh grace window. It is stored
/// sealed (AES-GCM) under a key derived from the old refresh token, so the store holds nothing
/// usable by itself: only the client that still has the old token can open it.
struct RotatedPair: Codable {
    let accessToken: String
    let refreshToken: String?
    let scope: [String]
    let expiresAt: Date
    /// The grant, so a retry of an OpenID Connect refresh gets its ID token too (nil in pairs
    /// sealed before ID tokens existed).
    let grant: Grant?

    init(_ issued: IssuedTokens) {
        accessToken = issued.accessToken
        refreshToken = issued.refreshToken
        scope = issued.scope
        expiresAt = Date().addingTimeInterval(TimeInterval(issued.expiresIn))
        grant = issued.grant
    }

    /// The tokens as a retry receives them, with the time the access token has left.
    var issuedTokens: IssuedTokens {
        IssuedTokens(
            accessToken: accessToken, expiresIn: max(0, Int(expiresAt.timeIntervalSinceNow.rounded(.down))),
            refreshToken: refreshToken, scope: scope, grant: grant)
    }

    func sealed(with oldToken: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(RecordCoding.encode(self), using: Self.key(oldToken))
        guard let combined = box.combined else { throw CryptoKitError.incorrectParameterSize }
        return Array(combined)
    }

    static func open(_ sealed: [UInt8], with oldToken: String) -> RotatedPair? {
        guard let box = try? AES.GCM.SealedBox(combined: sealed), let plain = try? AES.GCM.open(box, using: key(oldToken)) else {
            return nil
        }
        return RecordCoding.decode(RotatedPair.self, Array(plain))
    }

    private static func key(_ oldToken: String) -> SymmetricKey {
        SymmetricKey(data: SHA256.hash(data: Array("oauth2-server refresh grace window:\(oldToken)".utf8)))
    }
}
