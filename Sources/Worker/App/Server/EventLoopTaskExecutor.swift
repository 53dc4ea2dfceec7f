import NIOCore

/// Runs a task's jobs on one NIO event loop. A connection's task prefers the loop its channel
/// lives on, so reading the request, running the handler and writing the answer stay on one
/// thread instead of hopping to Swift's cooperative pool and back at every await.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `eventLoop` is immutable and event loops are thread-safe.
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// One executor per loop of `group`, looked up by the loop a channel runs on.
    struct PerLoop: Sendable {
        private let executors: [ObjectIdentifier: EventLoopTaskExecutor]

        init(_ group: any EventLoopGroup) {
            var executors: [ObjectIdentifier: EventLoopTaskExecutor] = [:]
            for loop in group.makeIterator() { executors[ObjectIdentifier(loop)] = EventLoopTaskExecutor(loop) }
            self.executors = executors
        }

        subscript(_ loop: any EventLoop) -> EventLoopTaskExecutor? { executors[ObjectIdentifier(loop)] }
    }
}
