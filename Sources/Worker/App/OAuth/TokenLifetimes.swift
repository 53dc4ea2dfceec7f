import Foundation
import SharedPlatform

/// How long codes and tokens live: each group's `ttl`, or the Node original's defaults when it is 0.
package struct TokenLifetimes: Sendable {
    package var code = 60
    package var access = 7200
    package var refresh = 7_776_000

    package init(code: Int = 60, access: Int = 7200, refresh: Int = 7_776_000) {
        self.code = code
        self.access = access
        self.refresh = refresh
    }

    package init(storage: StorageConfig) {
        func ttl(_ group: StorageGroup, _ fallback: Int) -> Int {
            let configured = storage.backend(for: group).ttl
            return configured > 0 ? configured : fallback
        }
        self.init(code: ttl(.codes, 60), access: ttl(.tokens, 7200), refresh: ttl(.refreshTokens, 7_776_000))
    }
}

extension TokenLifetimes {
    /// The lifetimes of tokens issued now from `grant`: never past the grant's own end (it is
    /// stored for `refresh` seconds from its creation), so a token never outlives the grant the
    /// review page lists and a user can revoke. At least a second, so the answer stays well formed;
    /// an ended grant is refused by the existence check that follows every issue.
    func within(_ grant: Grant, at now: Date) -> (access: Int, refresh: Int) {
        let left = Int(grant.createdAt.addingTimeInterval(TimeInterval(refresh)).timeIntervalSince(now).rounded(.down))
        return (max(1, min(access, left)), max(1, min(refresh, left)))
    }
}
