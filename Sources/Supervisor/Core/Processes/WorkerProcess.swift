import Glibc

/// One worker in the supervisor's process table.
package struct WorkerProcess {
    package enum State: Equatable {
        /// Spawned, not yet accepting.
        case booting
        /// Accepting connections.
        case serving
        /// Told to finish in-flight requests and exit; killed if still here at the deadline.
        case quitting(deadline: ContinuousClock.Instant)
    }

    package let pid: pid_t
    /// The slot number shown in the worker's log role, `worker.N`.
    package let number: Int
    /// The generation (configuration) it was started with.
    package let generation: Int
    var control: any WorkerChannel
    package internal(set) var state: State
    var lastHeartbeat: ContinuousClock.Instant
    /// The supervisor's descriptor of the socket it accepts on: a replaced socket is closed
    /// once no worker accepts on it.
    let listenerDescriptor: Int32
    /// Killed for sending no heartbeat (its restart is counted as a timeout).
    var killedForTimeout = false

    package var isQuitting: Bool {
        if case .quitting = state { return true }
        return false
    }
}
