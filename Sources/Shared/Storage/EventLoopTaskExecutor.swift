import NIOCore
import NIOPosix

/// Runs a task's jobs on one NIO event loop. A connection's task prefers the loop its channel
/// lives on, so reading the request, running the handler and writing the answer stay on one
/// thread instead of hopping to Swift's cooperative pool and back at every await.
package final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `eventLoop` is immutable and event loops are thread-safe.
    package let eventLoop: any EventLoop

    package init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    /// The executors of NIO's shared loops, which the worker serves requests on.
    package static let ofSharedLoops = PerLoop(MultiThreadedEventLoopGroup.singleton)

    /// The executor of the shared loop this code runs on, if it runs on one: for a task that
    /// should stay on its creator's thread (an unstructured task inherits no executor preference).
    package static var current: EventLoopTaskExecutor? { MultiThreadedEventLoopGroup.currentEventLoop.flatMap { ofSharedLoops[$0] } }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// One executor per loop of `group`, looked up by the loop a channel runs on.
    package struct PerLoop: Sendable {
        private let executors: [ObjectIdentifier: EventLoopTaskExecutor]

        package init(_ group: any EventLoopGroup) {
            var executors: [ObjectIdentifier: EventLoopTaskExecutor] = [:]
            for loop in group.makeIterator() { executors[ObjectIdentifier(loop)] = EventLoopTaskExecutor(loop) }
            self.executors = executors
        }

        package subscript(_ loop: any EventLoop) -> EventLoopTaskExecutor? { executors[ObjectIdentifier(loop)] }
    }
}
