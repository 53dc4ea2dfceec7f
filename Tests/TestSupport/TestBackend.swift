import Foundation
import Logging
import NIOPosix
import SharedPlatform
import SharedStorage

/// The storage backends tests run against: SQLite on a temp file, and the Redis and
/// PostgreSQL that scripts/test starts (OAUTH2_TEST_REDIS_PORT, OAUTH2_TEST_POSTGRES_PORT).
package enum TestBackend: String, CaseIterable, Sendable {
    case sqlite, postgres, redis

    static let logger = Logger(label: "storage-tests")

    /// Stores for fresh groups named `groups` (prefixed, so tests never see each other's keys)
    /// and an audit log, torn down afterwards.
    package func withStores<T: Sendable>(
        _ groups: [String], defaultTTL: Int = 0,
        _ body: @Sendable ([String: any RecordStore], any AuditLog) async throws -> T
    ) async throws -> T {
        let prefix = "test-\(UUID().uuidString.prefix(12))-"
        let logger = Self.logger
        switch self {
        case .sqlite:
            let path = NSTemporaryDirectory() + "contract-\(UUID().uuidString).sqlite"
            let database = try await SQLiteDatabase.open(path: path, logger: logger)
            try await database.migrate(logger: logger)
            defer { Task { await database.close() } }
            let stores = Dictionary(uniqueKeysWithValues: groups.map {
                ($0, SQLiteRecordStore(group: prefix + $0, defaultTTL: defaultTTL, database: database) as any RecordStore)
            })
            return try await body(stores, SQLiteAuditLog(group: prefix + "audit", database: database))
        case .postgres:
            guard let port = ProcessInfo.processInfo.environment["OAUTH2_TEST_POSTGRES_PORT"].flatMap(Int.init) else {
                throw ServerProcessFailure("OAUTH2_TEST_POSTGRES_PORT is not set: run the tests with scripts/test, which starts PostgreSQL")
            }
            let database = PostgresDatabase(
                options: .init(host: "127.0.0.1", port: port, user: "postgres", password: "", database: "oauth2", ssl: false, ttl: 0),
                logger: logger)
            return try await withThrowingTaskGroup(of: T?.self) { tasks in
                tasks.addTask { await database.run(); return nil }
                defer { tasks.cancelAll() }
                try await database.migrate(logger: logger)
                let stores = Dictionary(uniqueKeysWithValues: groups.map {
                    ($0, PostgresRecordStore(group: prefix + $0, defaultTTL: defaultTTL, database: database) as any RecordStore)
                })
                return try await body(stores, PostgresAuditLog(group: prefix + "audit", database: database))
            }
        case .redis:
            guard let port = ProcessInfo.processInfo.environment["OAUTH2_TEST_REDIS_PORT"].flatMap(Int.init) else {
                throw ServerProcessFailure("OAUTH2_TEST_REDIS_PORT is not set: run the tests with scripts/test, which starts Redis")
            }
            let client = RedisClient(
                host: "127.0.0.1", port: port, database: 3, password: nil,
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
            let stores = Dictionary(uniqueKeysWithValues: groups.map {
                ($0, RedisRecordStore(group: prefix + $0, defaultTTL: defaultTTL, client: client) as any RecordStore)
            })
            do {
                let result = try await body(stores, RedisAuditLog(group: prefix + "audit", client: client))
                await client.shutdown()
                return result
            } catch {
                await client.shutdown()
                throw error
            }
        }
    }
}
