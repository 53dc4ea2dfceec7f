/// A data group of `storage` (docs/operators.md, storage): one kind of record the server keeps, on the
/// backend the config names for it or else on `default`'s. The raw value is the group's name in
/// the config, in logs and metrics, and the namespace its records live under in a shared store.
package enum StorageGroup: String, CaseIterable, Sendable, CustomStringConvertible {
    case session
    case codes
    case tokens
    case refreshTokens = "refresh_tokens"
    case users
    /// Audit records, appended and purged, never read back by a request.
    case audit
    /// The OpenID Connect signing keys (sealed), shared by every host.
    case keys

    package var description: String { rawValue }

    /// The config's names of every group, in order, for messages and the settings reference.
    package static var names: [String] { allCases.map(\.rawValue) }
}
