import Logging
import NIOPosix
import SharedPlatform

extension StorageRegistry {
    /// Opens the stores on NIO's shared event loops, for a one-off command (see `whileRunning`).
    package static func open(_ config: StorageConfig, logger: Logger) async throws -> StorageRegistry {
        try await open(config, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
    }

    /// Runs the pools only while `body` runs, then closes them (one-off commands such as
    /// `rotate-keys`, which use the stores the way the workers do).
    package func whileRunning<T: Sendable>(_ body: @escaping @Sendable (StorageRegistry) async throws -> T) async throws -> T {
        let result: Result<T, any Error> = await withTaskGroup(of: Result<T, any Error>?.self) { group in
            group.addTask { await self.run(); return nil }
            group.addTask {
                do { return .success(try await body(self)) } catch { return .failure(error) }
            }
            defer { group.cancelAll() }
            while let outcome = await group.next() {
                if let outcome { return outcome }
            }
            preconditionFailure("the body's task always returns a value")
        }
        await shutdown()
        return try result.get()
    }
}
