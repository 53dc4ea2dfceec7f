import Foundation
import Logging
import OAuth2Shared

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

    private var running: Running?
    /// Told to stop; killed if still here at the deadline.
    private var retiring: [pid_t: ContinuousClock.Instant] = [:]
    private var backoff = RestartBackoff()
    private var notBefore = ContinuousClock.now
    private let executable: String
    private let logger: Logger

    init(logger: Logger) {
        self.executable = ChildSpawner.siblingExecutable(named: "dummy-resource-server")
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
        let now = ContinuousClock.now
        for (pid, deadline) in retiring where now > deadline {
            logger.warning("dummy-resource-server (pid \(pid)) did not stop; killing it")
            kill(pid, SIGKILL)
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
        let delay = backoff.delay(forDeathAt: .now)
        notBefore = .now + delay
        logger.warning("dummy-resource-server (pid \(pid)) died (\(exit)); restarting it in \(delay.milliseconds) ms")
        return true
    }

    func killNow() {
        if let running { kill(running.pid, SIGKILL) }
        for pid in retiring.keys { kill(pid, SIGKILL) }
    }

    private func spawn(host: String, port: Int, level: LogLevelName) {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            logger.error("resource_server.type is \"dummy\" but \(executable) is missing; install it beside oauth2-server")
            notBefore = .now + .seconds(60)
            return
        }
        var environment = ProcessInfo.processInfo.environment
        environment[WorkerContract.supervisorPIDVariable] = String(getpid())
        do {
            let pid = try ChildSpawner.spawn(
                executable: executable,
                arguments: ["--host", host, "--port", String(port), "--log-level", level.rawValue],
                environment: environment,
                descriptors: [:])
            running = Running(pid: pid, host: host, port: port)
            logger.notice("started dummy-resource-server (pid \(pid)) on \(host):\(port)")
        } catch {
            logger.error("cannot start dummy-resource-server: \(error)")
            notBefore = .now + .seconds(2)
        }
    }

    private func retire(_ pid: pid_t) {
        kill(pid, SIGTERM)
        retiring[pid] = .now + .seconds(10)
    }
}
