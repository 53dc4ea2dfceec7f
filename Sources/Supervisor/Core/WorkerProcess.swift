/// One worker in the supervisor's process table.
import Glibc

struct WorkerProcess {
    enum State: Equatable {
        /// Spawned, not yet accepting.
        case booting
        /// Accepting connections.
        case serving
        /// Told to finish in-flight requests and exit; killed if still here at the deadline.
        case quitting(deadline: ContinuousClock.Instant)
    }

    let pid: pid_t
    /// The slot number shown in the worker's log role, `worker.N`.
    let number: Int
    /// Workers of an older generation are replaced once the current one serves (a reload).
    let generation: Int
    var control: ControlSocket
    var state: State
    var lastHeartbeat: ContinuousClock.Instant
    let listenerDescriptor: Int32
    /// Killed for sending no heartbeat (its restart is counted as a timeout).
    var killedForTimeout = false

    var isQuitting: Bool {
        if case .quitting = state { return true }
        return false
    }
}
