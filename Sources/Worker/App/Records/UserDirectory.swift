import Crypto
import Foundation
import SharedStorage

/// The site users who signed in here, in the `users` group: each with the token the site gave
/// them, which opens the user's account at the site. Records are sealed (AES-GCM) under a key
/// derived from `auth_server.session_secret`, so a copy of the store or a backup alone does not
/// give anyone the users' site sessions. A record written in clear by an earlier version still
/// reads, and is sealed when its user next signs in; a record sealed under another secret (the
/// secret was changed) reads as unknown, and its user signs in again.
package struct UserDirectory: Sendable {
    private let store: any RecordStore
    private let key: SymmetricKey
    private static let sealedPrefix = Array("sealed1:".utf8)

    package init(store: any RecordStore, secret: String) {
        self.store = store
        self.key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Array(secret.utf8)), info: Array("oauth2-server users v1".utf8), outputByteCount: 32)
    }

    /// How long a user is kept when the `users` group sets no `ttl`: a site token kept forever
    /// outlives every reason to keep it.
    package static let defaultLifetime = 90 * 24 * 3600

    /// Stores the user for the `users` group's `ttl`, else `defaultLifetime`; every sign-in
    /// stores it again.
    package func save(_ user: SiteUser) async throws {
        let box = try AES.GCM.seal(user.encoded(), using: key, authenticating: Array(user.id.utf8))
        guard let combined = box.combined else { throw CryptoKitError.incorrectParameterSize }
        try await store.put(user.id, Self.sealedPrefix + Array(combined), ttl: store.defaultTTL > 0 ? nil : Self.defaultLifetime)
    }

    package func user(_ id: String) async throws -> SiteUser? {
        guard let bytes = try await store.get(id) else { return nil }
        guard bytes.starts(with: Self.sealedPrefix) else { return SiteUser.decode(bytes) }  // written in clear before sealing
        // The id is authenticated with the record: a sealed record copied under another id does not open.
        guard let box = try? AES.GCM.SealedBox(combined: bytes.dropFirst(Self.sealedPrefix.count)),
            let plain = try? AES.GCM.open(box, using: key, authenticating: Array(id.utf8))
        else { return nil }
        return SiteUser.decode(Array(plain))
    }
}
