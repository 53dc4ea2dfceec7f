import Logging

/// The tables the SQL backends use, as numbered migrations: a database is brought from the
/// version it has to the newest by applying the missing steps in order, once.
///
/// Expiry times are Unix milliseconds in a BIGINT (NULL = never), the same on both engines.
package enum StorageSchema {
    package struct Migration: Sendable {
        package let version: Int
        package let statements: [String]
    }

    static func migrations<Dialect: SQLDialect>(for _: Dialect.Type) -> [Migration] {
        let (blob, serial) = (Dialect.blobType, Dialect.serialPrimaryKey)
        return [
            Migration(version: 1, statements: [
                """
                CREATE TABLE IF NOT EXISTS oauth2_records (
                    grp TEXT NOT NULL, key TEXT NOT NULL, value \(blob) NOT NULL, expires_at BIGINT,
                    PRIMARY KEY (grp, key))
                """,
                "CREATE INDEX IF NOT EXISTS oauth2_records_expiry ON oauth2_records (expires_at) WHERE expires_at IS NOT NULL",
                """
                CREATE TABLE IF NOT EXISTS oauth2_index (
                    grp TEXT NOT NULL, name TEXT NOT NULL, member TEXT NOT NULL, expires_at BIGINT,
                    PRIMARY KEY (grp, name, member))
                """,
                "CREATE INDEX IF NOT EXISTS oauth2_index_expiry ON oauth2_index (expires_at) WHERE expires_at IS NOT NULL",
                """
                CREATE TABLE IF NOT EXISTS oauth2_audit (
                    id \(serial), grp TEXT NOT NULL, at_ms BIGINT NOT NULL, event TEXT NOT NULL,
                    user_id TEXT, client_id TEXT, scope TEXT, token_id TEXT, detail TEXT)
                """,
                "CREATE INDEX IF NOT EXISTS oauth2_audit_at ON oauth2_audit (grp, at_ms)",
            ]),
            // Failure counters for throttling guesses (client secrets, passwords).
            Migration(version: 2, statements: [
                """
                CREATE TABLE IF NOT EXISTS oauth2_counters (
                    grp TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL, last_ms BIGINT NOT NULL, expires_at BIGINT NOT NULL,
                    PRIMARY KEY (grp, key))
                """,
                "CREATE INDEX IF NOT EXISTS oauth2_counters_expiry ON oauth2_counters (expires_at)",
            ]),
        ]
    }

    package static var latestVersion: Int { migrations(for: SQLiteDialect.self).map(\.version).max() ?? 0 }

    /// Brings the database behind `dialect` from the version it has to the newest, in one
    /// transaction under the dialect's schema lock, applying each missing step once, in order.
    /// Logs each version applied, naming the database as `description`.
    static func migrate<Dialect: SQLDialect>(_ dialect: Dialect, description: String, logger: Logger) async throws {
        let applied = try await dialect.withSchemaLock { run in
            _ = try await run("""
                CREATE TABLE IF NOT EXISTS oauth2_schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms BIGINT NOT NULL)
                """)
            let current = try await run("SELECT COALESCE(MAX(version), 0) FROM oauth2_schema_migrations") ?? 0
            let missing = migrations(for: Dialect.self).filter { $0.version > current }
            for migration in missing {
                for statement in migration.statements { _ = try await run(statement) }
                _ = try await run("""
                    INSERT INTO oauth2_schema_migrations (version, applied_at_ms) VALUES (\(migration.version), \(StorageClock.nowMilliseconds()))
                    """)
            }
            return missing.map(\.version)
        }
        for version in applied { logger.notice("\(description): applied schema migration \(version)") }
    }
}
