import Foundation
import Logging
import SharedKeys
import SharedPlatform
import SharedStorage

/// The signing keys in the PostgreSQL that scripts/test starts, which every test server on the
/// Redis-and-PostgreSQL setup shares (its `keys` group falls back to `default` there). Tests
/// that count keys start from none.
package enum SharedSigningKeys {
    package static func forget() async throws {
        guard let port = ProcessInfo.processInfo.environment["OAUTH2_TEST_POSTGRES_PORT"].flatMap(Int.init) else {
            throw ServerProcessFailure("OAUTH2_TEST_POSTGRES_PORT is not set: run the tests with scripts/test, which starts PostgreSQL")
        }
        let database = PostgresDatabase(
            options: .init(host: "127.0.0.1", port: port, user: "postgres", password: "", database: "oauth2", ssl: false, ttl: 0),
            logger: Logger(label: "test-keys"))
        try await database.whileRunning { database in
            // On fresh services no server has created the tables yet; migrating is what a
            // server does first, and does nothing when they exist.
            try await database.migrate(logger: Logger(label: "test-keys"))
            try await SigningKeyStore(store: PostgresRecordStore(group: "keys", defaultTTL: 0, database: database), sealer: KeySealer(secret: ""))
                .forgetAll()
        }
    }
}
