/// The tables the SQL backends use, as numbered migrations: a database is brought from the
/// version it has to the newest by applying the missing steps in order, once.
///
/// Expiry times are Unix milliseconds in a BIGINT (NULL = never), the same on both engines.
package enum StorageSchema {
    package enum Dialect: Sendable { case sqlite, postgres }

    package struct Migration: Sendable {
        package let version: Int
        package let statements: [String]
    }

    package static func migrations(for dialect: Dialect) -> [Migration] {
        let blob = dialect == .postgres ? "BYTEA" : "BLOB"
        let serial = dialect == .postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"
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

    package static var latestVersion: Int { migrations(for: .sqlite).map(\.version).max() ?? 0 }

    static let versionTable = """
        CREATE TABLE IF NOT EXISTS oauth2_schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms BIGINT NOT NULL)
        """
}

/// Milliseconds since 1970, the unit of every expiry column.
enum StorageClock {
    static func nowMilliseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }

    /// The expiry for a lifetime in seconds, or nil for "never" (0).
    static func expiry(afterSeconds ttl: Int) -> Int64? {
        ttl > 0 ? nowMilliseconds() + Int64(ttl) * 1000 : nil
    }
}

#if canImport(Glibc)
import Glibc
#endif
