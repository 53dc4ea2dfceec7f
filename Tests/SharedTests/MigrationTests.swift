import Foundation
import Logging
import NIOPosix
import SharedPlatform
import SharedStorage
import TestSupport
import Testing

/// Several supervisors (hosts) starting at once against one database each apply every schema
/// step exactly once, and a second start changes nothing.
@Suite(.serialized, .startsServers)
struct MigrationTests {
    let logger = Logger(label: "migration-tests")

    @Test func concurrentPostgresMigrationsApplyEachStepOnce() async throws {
        let server = try PostgresServerProcess()
        let options = StorageBackendConfig.PostgresOptions(
            host: "127.0.0.1", port: server.port, user: "postgres", password: "", database: "oauth2", ssl: false, ttl: 0)
        let hosts = (0..<4).map { _ in PostgresDatabase(options: options, logger: logger) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for database in hosts { group.addTask { await database.run() } }
            try await withThrowingTaskGroup(of: Void.self) { migrations in
                for database in hosts { migrations.addTask { try await database.migrate(logger: logger) } }
                try await migrations.waitForAll()
            }
            // Usable afterwards, and migrating again is a no-op.
            try await hosts[0].migrate(logger: logger)
            let store = PostgresRecordStore(group: "codes", defaultTTL: 0, database: hosts[1])
            try await store.put("k", [1])
            #expect(try await store.get("k") == [1])
            group.cancelAll()
        }
    }

    @Test func concurrentSQLiteMigrationsApplyEachStepOnce() async throws {
        let path = NSTemporaryDirectory() + "migrate-\(UUID().uuidString).sqlite"
        // Each "process" has connections (and dispatch queues) of its own, as separate processes do.
        var processes: [SQLiteDatabase] = []
        for _ in 0..<4 { processes.append(try await SQLiteDatabase.open(path: path, logger: logger)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for database in processes { group.addTask { try await database.migrate(logger: logger) } }
            try await group.waitForAll()
        }
        let versions = try await processes[0].rows("SELECT version FROM oauth2_schema_migrations")
        #expect(versions.count == StorageSchema.latestVersion)
        for database in processes { await database.close() }
    }
}
