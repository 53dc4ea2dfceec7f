import Dispatch
import Synchronization

/// Runs async work to completion from the supervisor's synchronous main thread (storage
/// migrations, which use the async database clients). The main thread waits; the work runs on
/// the cooperative pool, whose threads inherit the blocked signal mask.
enum BlockingAsync {
    static func run(_ operation: @escaping @Sendable () async throws -> Void) throws {
        let outcome = Mutex<Result<Void, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do {
                try await operation()
                outcome.withLock { $0 = .success(()) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        try outcome.withLock { $0! }.get()
    }
}
