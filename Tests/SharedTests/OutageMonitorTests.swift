import Logging
import NIOPosix
import SharedStorage
import Synchronization
import Testing
import TestSupport

/// What counts as a backend being down: its own failure, not a caller that gave up.
struct OutageMonitorTests {
    private static func monitor() -> OutageMonitor {
        OutageMonitor(
            backend: "test", timeout: .seconds(30), eventLoop: MultiThreadedEventLoopGroup.singleton.next(),
            logger: Logger(label: "outage-test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @Test func aFailingCallReportsTheBackendDownUntilOneSucceeds() async throws {
        let monitor = Self.monitor()
        await #expect(throws: StorageUnavailable.self) {
            try await monitor.run(group: "tokens") { () async throws -> Int in throw CocoaLikeError() }
        }
        #expect(monitor.isDown)
        #expect(try await monitor.run(group: "tokens") { 1 } == 1)
        #expect(!monitor.isDown)
    }

    /// A token request whose Redis write fails cancels its audit write to PostgreSQL: that is
    /// no PostgreSQL outage (no 503 for its other requests, no outage logged or counted).
    @Test func aCallCancelledByItsCallerLeavesTheBackendUp() async throws {
        let monitor = Self.monitor()
        let started = Atomic(false)
        let call = Task {
            try await monitor.run(group: "audit") { () async throws -> Int in
                started.store(true, ordering: .relaxed)
                try await Task.sleep(for: .seconds(20))
                return 1
            }
        }
        #expect(await eventually { started.load(ordering: .relaxed) })
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(!monitor.isDown)
    }

    private struct CocoaLikeError: Error {}
}
