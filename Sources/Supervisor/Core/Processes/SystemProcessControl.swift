import Foundation
import SharedPlatform

/// The real `ProcessControl`: workers and the dummy site are spawned with posix_spawn from the
/// programs installed beside the supervisor, signals arrive through a signalfd, ended children
/// are collected with waitpid, and the loop sleeps in poll.
final class SystemProcessControl: ProcessControl {
    private let signals: SignalReceiver
    private let workerExecutable: String

    /// - Parameter signals: created before any thread exists, so every thread inherits the block.
    init(signals: SignalReceiver) throws {
        self.signals = signals
        self.workerExecutable = ChildSpawner.siblingExecutable(named: WorkerContract.workerExecutableName)
        guard FileManager.default.isExecutableFile(atPath: workerExecutable) else {
            throw SupervisorError("the worker program \(workerExecutable) is missing; it is installed beside oauth2-server")
        }
    }

    var now: ContinuousClock.Instant { .now }

    func startWorker(_ launch: WorkerLaunch) throws -> (pid: pid_t, control: any WorkerChannel) {
        let (control, workerEnd) = try ControlSocket.pair()
        defer { close(workerEnd) }
        var environment = ProcessInfo.processInfo.environment
        environment[WorkerContract.workerNumberVariable] = String(launch.number)
        environment[WorkerContract.supervisorPIDVariable] = String(getpid())
        var descriptors = [WorkerContract.listenDescriptor: launch.listener.descriptor, WorkerContract.controlDescriptor: workerEnd]
        environment[WorkerContract.metricsVariable] = launch.metricsRegion.map { _ in String(WorkerContract.metricsDescriptor) }
        if let region = launch.metricsRegion { descriptors[WorkerContract.metricsDescriptor] = region.descriptor }
        let pid: pid_t
        do {
            pid = try ChildSpawner.spawn(executable: workerExecutable, arguments: [], environment: environment, descriptors: descriptors)
        } catch {
            var unused = control
            unused.shutDown()
            throw error
        }
        control.send(.configure(launch.configuration))
        return (pid, control)
    }

    func startProgram(named name: String, arguments: [String]) throws -> pid_t {
        let executable = ChildSpawner.siblingExecutable(named: name)
        guard FileManager.default.isExecutableFile(atPath: executable) else { throw ProgramMissing(path: executable) }
        var environment = ProcessInfo.processInfo.environment
        environment[WorkerContract.supervisorPIDVariable] = String(getpid())
        return try ChildSpawner.spawn(executable: executable, arguments: arguments, environment: environment, descriptors: [:])
    }

    func signal(_ pid: pid_t, _ signal: Int32) { kill(pid, signal) }

    func reapExited() -> [(pid: pid_t, exit: ChildExit)] {
        var ended: [(pid: pid_t, exit: ChildExit)] = []
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return ended }
            ended.append((pid, ChildExit(waitStatus: status)))
        }
    }

    func receivedSignals() -> [Int32] { signals.drain() }

    func waitForEvents(on channels: [any WorkerChannel], timeout: Duration) {
        var fds = [pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0)]
        for channel in channels where channel.isOpen {
            fds.append(pollfd(fd: channel.descriptor, events: Int16(POLLIN), revents: 0))
        }
        _ = poll(&fds, nfds_t(fds.count), Int32(clamping: timeout.milliseconds))
    }
}
