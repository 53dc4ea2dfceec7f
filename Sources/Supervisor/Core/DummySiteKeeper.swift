import Foundation
import Logging
import SharedPlatform

/// Keeps `dummy-resource-server` running on resource_server.host:port while
/// resource_server.type is "dummy", so the README's run command gives a working demo: started
/// with the workers, restarted with backoff if it dies, restarted on a reload that moves it,
/// stopped with the server. Driven from the arbiter's loop, like the workers.
final class DummySiteKeeper {
    private struct Running {
        let pid: pid_t
        let host: String
        let port: Int
    }

    static let program = "dummy-resource-server"

    private var running: Running?
    /// Told to stop; killed if still here at the deadline.
    private var retiring: [pid_t: ContinuousClock.Instant] = [:]
    private var backoff = RestartBackoff()
    private var notBefore: ContinuousClock.Instant
    private let processes: any ProcessControl
    private let logger: Logger

    init(processes: any ProcessControl, logger: Logger) {
        self.processes = processes
        self.notBefore = processes.now
        self.logger = logger
    }

    var isStopped: Bool { running == nil && retiring.isEmpty }

    /// Starts, moves or stops the site so that it matches `config`.
    func reconcile(_ config: ServerConfig, stopping: Bool) {
        let settings = config.resourceServer
        let wanted = !stopping && settings.type == "dummy"
        if let current = running, !wanted || current.host != settings.host || current.port != settings.port {
            retire(current.pid)
            running = nil
        }
        let now = processes.now
        for (pid, deadline) in retiring where now > deadline {
            logger.warning("dummy-resource-server (pid \(pid)) did not stop; killing it")
            processes.signal(pid, SIGKILL)
        }
        // A moved site starts once the old one has released its port.
        guard wanted, running == nil, retiring.isEmpty, now >= notBefore else { return }
        spawn(host: settings.host, port: settings.port, level: config.logging.level)
    }

    /// Takes note of a reaped child; false when it was not the site.
    func reaped(_ pid: pid_t, exit: ChildExit) -> Bool {
        if retiring.removeValue(forKey: pid) != nil {
            logger.info("dummy-resource-server (pid \(pid)) stopped (\(exit))")
            return true
        }
        guard running?.pid == pid else { return false }
        running = nil
        let delay = backoff.delay(forDeathAt: processes.now)
        notBefore = processes.now + delay
        logger.warning("dummy-resource-server (pid \(pid)) died (\(exit)); restarting it in \(delay.milliseconds) ms")
        return true
    }

    func killNow() {
        if let running { processes.signal(running.pid, SIGKILL) }
        for pid in retiring.keys { processes.signal(pid, SIGKILL) }
    }

    private func spawn(host: String, port: Int, level: LogLevelName) {
        do {
            let pid = try processes.startProgram(
                named: Self.program, arguments: ["--host", host, "--port", String(port), "--log-level", level.rawValue])
            running = Running(pid: pid, host: host, port: port)
            logger.notice("started dummy-resource-server (pid \(pid)) on \(host):\(port)")
        } catch let error as ProgramMissing {
            logger.error("resource_server.type is \"dummy\" but \(error)")
            notBefore = processes.now + .seconds(60)
        } catch {
            logger.error("cannot start dummy-resource-server: \(error)")
            notBefore = processes.now + .seconds(2)
        }
    }

    private func retire(_ pid: pid_t) {
        processes.signal(pid, SIGTERM)
        retiring[pid] = processes.now + .seconds(10)
    }
}
