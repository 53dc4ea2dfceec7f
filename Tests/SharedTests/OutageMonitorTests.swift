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

    /// Groups that share a backend share its state: each group's outage is counted once, on its
    /// first failed call since the backend last answered, whichever group's call that was.
    @Test func eachGroupCountsAnOutageOnceUntilTheBackendAnswersAgain() async throws {
        let monitor = Self.monitor()
        let counted = Mutex<[String]>([])
        func call(_ group: String, failing: Bool) async {
            _ = try? await monitor.run(group: group, outageBegan: { counted.withLock { $0.append(group) } }) { () async throws -> Int in
                if failing { throw CocoaLikeError() }
                return 1
            }
        }
        await call("tokens", failing: true)
        await call("tokens", failing: true)
        await call("codes", failing: true)
        #expect(counted.withLock { $0 } == ["tokens", "codes"], "one outage per group, however many calls fail")
        #expect(monitor.isDown)
        await call("codes", failing: false)
        #expect(!monitor.isDown, "one answer, whichever group asked, and the backend is up")
        await call("tokens", failing: true)
        #expect(counted.withLock { $0 } == ["tokens", "codes", "tokens"], "the next failure is a new outage for every group")
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
