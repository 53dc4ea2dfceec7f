
/// Makes the value of an access token whose record is about to be stored. Tokens are looked up
/// by the hash of their value whatever it is, so a self-contained token (a signed JWT) is
/// revoked and introspected exactly like an opaque one.
package protocol AccessTokenMinter: Sendable {
    /// The token's value for `record`, or nil for an opaque random one.
    func mint(for record: AccessTokenRecord) async throws -> String?
}
