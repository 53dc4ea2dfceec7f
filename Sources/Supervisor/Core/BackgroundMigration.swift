import Logging
import OAuth2Shared
import Synchronization

/// A reload's storage migration, run on the cooperative pool while the arbiter's loop goes on:
/// a migration can take minutes (a table rewritten, or a lock another host holds), and the loop
/// must keep reading signals and heartbeats and pinging the watchdog meanwhile. The loop looks
/// at `result` once a tick.
final class BackgroundMigration: Sendable {
    /// The configuration the migration prepares storage for.
    let config: ServerConfig
    private let outcome = Mutex<Result<Void, any Error>?>(nil)
    private let task = Mutex<Task<Void, Never>?>(nil)

    private init(config: ServerConfig) {
        self.config = config
    }

    static func start(for config: ServerConfig, logger: Logger) -> BackgroundMigration {
        let migration = BackgroundMigration(config: config)
        // Detached: the cooperative pool's threads, like every thread, keep the signals blocked.
        let task = Task.detached {
            let result: Result<Void, any Error>
            do {
                try await StorageMigrator.migrate(config.storage, logger: logger)
                result = .success(())
            } catch {
                result = .failure(error)
            }
            migration.outcome.withLock { $0 = result }
        }
        migration.task.withLock { $0 = task }
        return migration
    }

    /// Nil while the migration runs.
    var result: Result<Void, any Error>? { outcome.withLock { $0 } }

    /// Abandons the migration (the server is stopping); its transaction is rolled back.
    func cancel() {
        task.withLock { $0 }?.cancel()
    }
}
