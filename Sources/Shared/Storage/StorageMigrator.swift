import Logging
import NIOPosix
import SharedPlatform

/// Brings every SQL database the configuration names to the newest schema. The supervisor runs
/// this once before it starts workers (and before rolling workers onto a reloaded
/// configuration), so workers never race to create tables.
package enum StorageMigrator {
    package static func migrate(_ config: StorageConfig, logger: Logger) async throws {
        var sqlitePaths: Set<String> = []
        var postgres: Set<StorageBackendConfig.PostgresOptions> = []
        for group in StorageGroup.allCases {
            switch config.backend(for: group) {
            case .sqlite(let path, _): sqlitePaths.insert(path)
            case .postgres(let options): postgres.insert(options.connectionKey)
            case .redis, .blackhole: break
            }
        }
        for path in sqlitePaths.sorted() {
            let database = try await SQLiteDatabase.open(path: path, logger: logger)
            try await closing({ await database.close() }) { try await database.migrate(logger: logger) }
        }
        for options in postgres {
            try await PostgresDatabase(options: options, logger: logger, servesRequests: false).whileRunning { database in
                try await withTimeout(.seconds(15), on: MultiThreadedEventLoopGroup.singleton.next()) { try await database.migrate(logger: logger) }
            }
        }
    }
}
