import Dispatch
import SharedPlatform
import Synchronization

/// Runs async work to completion from the supervisor's synchronous main thread (storage
/// migrations, which use the async database clients). The main thread waits; the work runs on
/// the cooperative pool, whose threads inherit the blocked signal mask.
enum BlockingAsync {
    static func run(_ operation: @escaping @Sendable () async throws -> Void) throws {
        try value(operation)
    }

    /// Runs `operation` and returns its result (check-config's checks).
    static func value<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) throws -> T {
        let outcome = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do {
                let result = try await operation()
                outcome.withLock { $0 = .success(result) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        return try outcome.withLock { $0! }.get()
    }
}

extension BootChecks {
    /// The workers' boot checks, from the supervisor's synchronous thread (check-config, reload).
    static func runBlocking(config: ServerConfig) throws(ConfigError) -> BootChecks {
        do {
            return try BlockingAsync.value { try await BootChecks.run(config: config) }
        } catch let error as ConfigError {
            throw error
        } catch {
            // BootChecks.run throws only ConfigError; BlockingAsync forgets the type.
            throw ConfigError([ConfigProblem(file: nil, key: nil, message: "\(error)")])
        }
    }
}
