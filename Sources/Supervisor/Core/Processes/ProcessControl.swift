import Glibc
import SharedPlatform

/// Everything the arbiter does outside its own memory: starting and signalling processes,
/// collecting the ones that ended, reading signals, waiting for something to happen, and
/// telling the time. The arbiter decides; a `ProcessControl` carries the decisions out.
///
/// `SystemProcessControl` is the real one (posix_spawn, kill, waitpid, a signalfd and poll).
/// The supervisor's unit tests put one in its place that keeps a process table in memory and a
/// clock they move, so every decision (backoff, rolling reloads, hung workers, stopping) is
/// tested without a process and without waiting for real time to pass.
package protocol ProcessControl: AnyObject {
    var now: ContinuousClock.Instant { get }

    /// Starts a worker on `launch.listener` and hands it its configuration.
    func startWorker(_ launch: WorkerLaunch) throws -> (pid: pid_t, control: any WorkerChannel)

    /// Starts one of the package's other programs (the dummy site), installed beside the
    /// supervisor; `ProgramMissing` when it is not there.
    func startProgram(named name: String, arguments: [String]) throws -> pid_t

    func signal(_ pid: pid_t, _ signal: Int32)

    /// The children that have ended since the last call, with how they ended.
    func reapExited() -> [(pid: pid_t, exit: ChildExit)]

    /// The signals sent to the supervisor since the last call, in order.
    func receivedSignals() -> [Int32]

    /// Returns when a signal or a control message arrives, or after `timeout`.
    func waitForEvents(on channels: [any WorkerChannel], timeout: Duration)
}

/// What a new worker is started with.
package struct WorkerLaunch {
    /// The slot number shown in the worker's log role, `worker.N`.
    package let number: Int
    package let listener: ListeningSocket
    /// The shared memory the worker counts its metrics into, when metrics are on.
    package let metricsRegion: MetricsRegion?
    /// The configuration, sent over the control channel once the worker runs.
    package let configuration: [ConfigDocument.Layer]
}

/// The supervisor's end of a worker's control channel (`ControlSocket` in a real process).
package protocol WorkerChannel {
    /// What `poll` watches; negative when there is nothing to watch.
    var descriptor: Int32 { get }
    var isOpen: Bool { get }
    /// Sends one message; false when the worker's end is gone or not reading.
    @discardableResult func send(_ message: ControlMessage) -> Bool
    /// Messages that have arrived; `closed` once the worker's end is gone.
    mutating func receive() -> (messages: [ControlMessage], closed: Bool)
    mutating func shutDown()
}

/// One of the package's programs is not installed beside the supervisor.
package struct ProgramMissing: Error, CustomStringConvertible {
    package let path: String
    package var description: String { "\(path) is missing; it is installed beside oauth2-server" }
}
