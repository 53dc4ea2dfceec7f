import NIOCore
import PostgresNIO

/// The statements every token request runs, prepared once per connection: PostgreSQL parses
/// and plans them once instead of on every call (postgres-nio prepares a statement on a
/// connection the first time it is executed there).
enum PostgresStatements {
    struct Put: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO oauth2_records (grp, key, value, expires_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (grp, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
            """
        static let bindingDataTypes: [PostgresDataType] = [.text, .text, .bytea, .int8]
        typealias Row = Void

        let group: String, key: String, value: ByteBuffer, expiry: Int64?

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 4)
            bindings.append(group)
            bindings.append(key)
            bindings.append(value)
            bindings.append(expiry)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    struct Get: PostgresPreparedStatement {
        static let sql = "SELECT value FROM oauth2_records WHERE grp = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > $3)"
        static let bindingDataTypes: [PostgresDataType] = [.text, .text, .int8]
        typealias Row = ByteBuffer

        let group: String, key: String, now: Int64

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(group)
            bindings.append(key)
            bindings.append(now)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> ByteBuffer { try row.decode(ByteBuffer.self) }
    }

    /// `DELETE … RETURNING` is atomic: of concurrent takers exactly one gets the row.
    struct Take: PostgresPreparedStatement {
        static let sql = "DELETE FROM oauth2_records WHERE grp = $1 AND key = $2 RETURNING value, expires_at"
        static let bindingDataTypes: [PostgresDataType] = [.text, .text]
        typealias Row = (ByteBuffer, Int64?)

        let group: String, key: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(group)
            bindings.append(key)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> (ByteBuffer, Int64?) { try row.decode((ByteBuffer, Int64?).self) }
    }

    struct AddToIndex: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO oauth2_index (grp, name, member, expires_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (grp, name, member) DO UPDATE SET expires_at = excluded.expires_at
            """
        static let bindingDataTypes: [PostgresDataType] = [.text, .text, .text, .int8]
        typealias Row = Void

        let group: String, index: String, member: String, expiry: Int64?

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 4)
            bindings.append(group)
            bindings.append(index)
            bindings.append(member)
            bindings.append(expiry)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }
}
