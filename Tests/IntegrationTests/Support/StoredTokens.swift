import Foundation
import Logging
import SharedPlatform
import SharedStorage
import WorkerApp

/// Writes access tokens and users straight into a running server's SQLite storage, the way
/// its token endpoint stores them (hashed), for tests of the API behind tokens.
struct StoredTokens {
    let database: SQLiteDatabase

    static func open(for server: ServerProcess) async throws -> StoredTokens {
        StoredTokens(database: try await SQLiteDatabase.open(
            path: "\(server.configDirectory)/oauth2.sqlite", logger: Logger(label: "test-tokens")))
    }

    /// Stores a token with `scope` for `userID` and returns the token itself.
    func issue(scope: [String], userID: String?, clientID: String = "test", expiresIn: TimeInterval = 3600) async throws -> String {
        let token = (0..<4).map { _ in UUID().uuidString.replacingOccurrences(of: "-", with: "") }.joined()
        let record = AccessTokenRecord(
            grantID: UUID().uuidString, clientID: clientID, userID: userID, scope: scope,
            issuedAt: Date(), expiresAt: Date().addingTimeInterval(expiresIn))
        try await SQLiteRecordStore(group: StorageGroup.tokens.rawValue, defaultTTL: 0, database: database)
            .put(TokenHash.of(token), record.encoded(), ttl: 3600)
        return token
    }

    /// Stores a user as the server does at sign-in (sealed under the test config's session secret).
    func save(_ user: SiteUser, sessionSecret: String = "test secret") async throws {
        try await UserDirectory(store: SQLiteRecordStore(group: StorageGroup.users.rawValue, defaultTTL: 0, database: database), secret: sessionSecret).save(user)
    }

    /// The server's audit trail, newest first.
    func auditEvents(limit: Int = 200) async throws -> [AuditRecord] {
        try await SQLiteAuditLog(group: StorageGroup.audit.rawValue, database: database).recent(limit: limit)
    }

    func close() async { await database.close() }
}
