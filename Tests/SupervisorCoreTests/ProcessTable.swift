import Glibc
import SharedPlatform
import SupervisorCore

/// A `ProcessControl` without processes: it records what the arbiter starts and signals, and
/// the test says when a process ends, what a worker sends back and what time it is. Nothing
/// dies of a signal by itself: the test decides what a signal did, as the kernel would.
final class ProcessTable: ProcessControl {
    struct Started {
        let pid: pid_t
        let number: Int
        let channel: ChannelEnd
    }

    private(set) var now = ContinuousClock.now
    private(set) var started: [Started] = []
    private(set) var programs: [(pid: pid_t, name: String)] = []
    private(set) var signalsSent: [(pid: pid_t, signal: Int32)] = []
    private var pendingSignals: [Int32] = []
    private var ended: [(pid: pid_t, exit: ChildExit)] = []
    private var nextPID: pid_t = 1000

    // MARK: What the arbiter does

    func startWorker(_ launch: WorkerLaunch) throws -> (pid: pid_t, control: any WorkerChannel) {
        nextPID += 1
        let channel = ChannelEnd()
        channel.sent.append(.configure(launch.configuration))
        started.append(Started(pid: nextPID, number: launch.number, channel: channel))
        return (nextPID, channel)
    }

    func startProgram(named name: String, arguments: [String]) throws -> pid_t {
        nextPID += 1
        programs.append((nextPID, name))
        return nextPID
    }

    func signal(_ pid: pid_t, _ signal: Int32) { signalsSent.append((pid, signal)) }

    func reapExited() -> [(pid: pid_t, exit: ChildExit)] {
        defer { ended = [] }
        return ended
    }

    func receivedSignals() -> [Int32] {
        defer { pendingSignals = [] }
        return pendingSignals
    }

    func waitForEvents(on channels: [any WorkerChannel], timeout: Duration) {}

    // MARK: What the test does

    func advance(_ time: Duration) { now += time }

    /// A signal sent to the supervisor.
    func deliver(_ signal: Int32) { pendingSignals.append(signal) }

    func end(_ pid: pid_t, _ exit: ChildExit) { ended.append((pid, exit)) }

    /// The other programs (the dummy site) end, as they do when asked to.
    func endPrograms() { for program in programs { end(program.pid, .exited(0)) } }

    func channel(of pid: pid_t) -> ChannelEnd { started.first { $0.pid == pid }!.channel }

    func signals(sentTo pid: pid_t) -> [Int32] { signalsSent.filter { $0.pid == pid }.map(\.signal) }
}

/// The supervisor's end of a worker's control channel, with the worker's messages put there by the test.
final class ChannelEnd: WorkerChannel {
    var inbox: [ControlMessage] = []
    var sent: [ControlMessage] = []
    private(set) var isOpen = true

    var descriptor: Int32 { -1 }

    func send(_ message: ControlMessage) -> Bool {
        guard isOpen else { return false }
        sent.append(message)
        return true
    }

    func receive() -> (messages: [ControlMessage], closed: Bool) {
        defer { inbox = [] }
        return (inbox, !isOpen)
    }

    func shutDown() { isOpen = false }

    var wasToldToQuit: Bool { sent.contains(.quit) }
    var configurations: Int { sent.filter { if case .configure = $0 { true } else { false } }.count }
}
