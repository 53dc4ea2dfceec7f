/// The statements both engines run as they are (`$1` … as `SQLText` says). Columns a caller
/// reads come in the order it reads them.
enum SQL {
    /// `$1` group, `$2` key, `$3` value, `$4` expiry.
    enum Put: SQLStatement {
        static let sql = SQLText("put", """
            INSERT INTO oauth2_records (grp, key, value, expires_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (grp, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
            """)
    }

    /// `Put` that replaces only an expired row (`$5` now); a row comes back when it stored.
    enum Insert: SQLStatement {
        static let sql = SQLText("insert", Put.sql.postgres + """

            WHERE oauth2_records.expires_at IS NOT NULL AND oauth2_records.expires_at <= $5
            RETURNING 1
            """)
    }

    /// `$1` group, `$2` key, `$3` now.
    enum Get: SQLStatement {
        static let sql = SQLText("get", "SELECT value FROM oauth2_records WHERE grp = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > $3)")
    }

    enum Delete: SQLStatement { static let sql = SQLText("delete", "DELETE FROM oauth2_records WHERE grp = $1 AND key = $2") }

    /// Of concurrent takers exactly one gets the row; an expired one is deleted all the same.
    enum Take: SQLStatement { static let sql = SQLText("take", "DELETE FROM oauth2_records WHERE grp = $1 AND key = $2 RETURNING value, expires_at") }

    /// `$1` group, `$2` index, `$3` member, `$4` expiry.
    enum AddToIndex: SQLStatement {
        static let sql = SQLText("add_to_index", """
            INSERT INTO oauth2_index (grp, name, member, expires_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (grp, name, member) DO UPDATE SET expires_at = excluded.expires_at
            """)
    }

    enum RemoveFromIndex: SQLStatement { static let sql = SQLText("remove_from_index", "DELETE FROM oauth2_index WHERE grp = $1 AND name = $2 AND member = $3") }

    /// `$1` group, `$2` index, `$3` now.
    enum Members: SQLStatement {
        static let sql = SQLText("members", """
            SELECT member FROM oauth2_index WHERE grp = $1 AND name = $2 AND (expires_at IS NULL OR expires_at > $3) ORDER BY member
            """)
    }

    enum DeleteIndex: SQLStatement { static let sql = SQLText("delete_index", "DELETE FROM oauth2_index WHERE grp = $1 AND name = $2") }

    /// `$1` group, `$2` key, `$3` now, `$4` the counter's expiry, `$5` the window.
    enum CountFailure: SQLStatement {
        static let sql = SQLText("count_failure", """
            INSERT INTO oauth2_counters (grp, key, count, last_ms, expires_at) VALUES ($1, $2, 1, $3, $4)
            ON CONFLICT (grp, key) DO UPDATE SET
                count = CASE WHEN excluded.last_ms - oauth2_counters.last_ms <= $5 THEN oauth2_counters.count + 1 ELSE 1 END,
                last_ms = excluded.last_ms, expires_at = excluded.expires_at
            RETURNING count, last_ms
            """)
    }

    /// `$1` group, `$2` key, `$3` now.
    enum Failures: SQLStatement { static let sql = SQLText("failures", "SELECT count, last_ms FROM oauth2_counters WHERE grp = $1 AND key = $2 AND expires_at > $3") }

    enum ClearFailures: SQLStatement { static let sql = SQLText("clear_failures", "DELETE FROM oauth2_counters WHERE grp = $1 AND key = $2") }

    enum Ping: SQLStatement { static let sql = SQLText("ping", "SELECT 1") }

    /// One audit record: `$1` group, `$2` time, `$3` event, then user, client, scope, token and
    /// detail. A batch adds a row of values a record.
    enum AppendAudit: SQLStatement {
        static let columns = "INSERT INTO oauth2_audit (grp, at_ms, event, user_id, client_id, scope, token_id, detail) VALUES "
        static let sql = SQLText("append_audit", columns + "($1, $2, $3, $4, $5, $6, $7, $8)")
    }

    /// `$1` group, `$2` the cutoff, `$3` how many at most; a row comes back for each.
    enum PurgeAudit: SQLStatement {
        static let sql = SQLText("purge_audit", """
            DELETE FROM oauth2_audit WHERE id IN (SELECT id FROM oauth2_audit WHERE grp = $1 AND at_ms < $2 LIMIT $3) RETURNING 1
            """)
    }

    /// `$1` group, `$2` how many.
    enum RecentAudit: SQLStatement {
        static let sql = SQLText("recent_audit", """
            SELECT at_ms, event, user_id, client_id, scope, token_id, detail FROM oauth2_audit WHERE grp = $1 ORDER BY id DESC LIMIT $2
            """)
    }
}
