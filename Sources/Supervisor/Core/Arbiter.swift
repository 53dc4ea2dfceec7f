import Foundation
import Logging
import OAuth2Shared

/// The supervisor's main loop, after gunicorn's arbiter: wait for a signal, a control message or
/// a tick; handle it; then make the world match the wanted state (reap, murder hung workers,
/// spawn or retire workers, finish a rolling reload). Everything runs on the main thread, the
/// thread that spawns workers, so their parent-death signal stays armed for the supervisor's life.
final class Arbiter {
    private enum Phase {
        case starting
        case running
        /// Workers drain, each within its own deadline (see `retire`).
        case stopping(exitCode: Int32)
    }

    /// A reload that needs new workers: the new generation is starting, the old one still serves.
    private struct Roll {
        let previousConfig: ServerConfig
        let previousGeneration: Int
        let previousListener: ListeningSocket?
        let previousTLSFiles: [Data?]
    }

    private let location: ConfigLocation
    private var config: ServerConfig
    private var listener: ListeningSocket
    private var retiredListeners: [ListeningSocket] = []
    private var workers: [pid_t: WorkerProcess] = [:]
    private var wantedWorkers: Int
    private var generation = 1
    private var roll: Roll?
    /// A reload waiting for its storage migration; applied when the migration is done.
    private var migration: BackgroundMigration?
    private var reloadRequested = false
    private var phase = Phase.starting
    private var backoff = RestartBackoff()
    private var respawnNotBefore = ContinuousClock.now
    private var tlsFiles: [Data?]
    private var lastWatchdogPing = ContinuousClock.now
    private let site: DummySiteKeeper
    private let signals: SignalReceiver
    private let notifier = SystemdNotifier()
    private let watchdogInterval: Duration?
    private let workerExecutable: String
    private let logger: Logger
    private let metrics: SupervisorMetrics
    /// The workers' metrics, when `auth_server.metrics` is on.
    private let board: MetricsBoard?
    private let metricsListener: MetricsListener?
    /// The metrics settings the listener was started with (a reload does not move it).
    private let runningMetrics: MetricsConfig

    init(config: ServerConfig, location: ConfigLocation, signals: SignalReceiver, logger: Logger) throws {
        self.location = location
        self.config = config
        self.signals = signals
        self.logger = logger
        self.workerExecutable = ChildSpawner.siblingExecutable(named: WorkerContract.workerExecutableName)
        guard FileManager.default.isExecutableFile(atPath: workerExecutable) else {
            throw SupervisorError("the worker program \(workerExecutable) is missing; it is installed beside oauth2-server")
        }
        self.listener = try ListeningSocket.open(
            host: config.authServer.host, port: config.authServer.port, backlog: config.authServer.backlog)
        self.wantedWorkers = config.authServer.workers.resolved()
        self.tlsFiles = Self.readTLSFiles(config)
        self.watchdogInterval = notifier.watchdogInterval()
        self.site = DummySiteKeeper(logger: logger)
        self.runningMetrics = config.authServer.metrics
        let metrics = SupervisorMetrics()
        self.metrics = metrics
        if let port = config.authServer.metrics.port {
            let board = MetricsBoard()
            self.board = board
            self.metricsListener = try MetricsListener.start(
                host: config.authServer.metrics.host, port: port,
                render: { metrics.rendered() + board.totals().rendered() }, logger: logger)
        } else {
            self.board = nil
            self.metricsListener = nil
        }
    }

    /// Runs until the server has stopped; returns the process exit code.
    func run() -> Int32 {
        logger.notice("oauth2-server \(OAuth2ServerVersion.current) starting \(wantedWorkers) workers on \(listener.address) (\(config.authServer.url))")
        if let metricsListener { logger.notice("metrics at http://\(metricsListener.address)/metrics") }
        while true {
            waitForEvents(timeoutMilliseconds: 200)
            for signal in signals.drain() { handle(signal: signal) }
            readControlSockets()
            reapWorkers()
            murderWorkers()
            if case .stopping(let exitCode) = phase, workers.isEmpty, site.isStopped {
                listener.close()
                retiredListeners.forEach { $0.close() }
                metricsListener?.close()
                logger.notice("stopped")
                return exitCode
            }
            finishMigration()
            // A reload waits for a rolling one (or a migrating one) to finish; one asked for
            // while stopping is moot.
            if reloadRequested, roll == nil, migration == nil, !isStopping {
                reloadRequested = false
                reload()
            }
            manageWorkers()
            site.reconcile(config, stopping: isStopping)
            advanceRoll()
            reportReadiness()
            closeUnusedListeners()
            pingWatchdog()
            metrics.workerCount(workers.values.filter { !$0.isQuitting }.count)
        }
    }

    // MARK: - Events

    private func waitForEvents(timeoutMilliseconds: Int32) {
        var fds = [pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0)]
        for worker in workers.values where worker.control.isOpen {
            fds.append(pollfd(fd: worker.control.descriptor, events: Int16(POLLIN), revents: 0))
        }
        _ = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
    }

    private func handle(signal: Int32) {
        switch signal {
        case SIGHUP:
            logger.notice("SIGHUP: reloading the configuration")
            reloadRequested = true
        case SIGTERM, SIGINT:
            if case .stopping = phase {
                logger.warning("\(signal == SIGINT ? "SIGINT" : "SIGTERM") again: killing the remaining workers now")
                killAll()
            } else {
                beginStop(exitCode: ExitCodes.success, reason: signal == SIGINT ? "SIGINT" : "SIGTERM")
            }
        case SIGQUIT:
            beginStop(exitCode: ExitCodes.success, reason: "SIGQUIT")
            killAll()
        case SIGTTIN:
            wantedWorkers += 1
            logger.notice("SIGTTIN: running \(wantedWorkers) workers")
            notifier.status("scaling to \(wantedWorkers) workers on \(listener.address)")
        case SIGTTOU:
            wantedWorkers = max(1, wantedWorkers - 1)
            logger.notice("SIGTTOU: running \(wantedWorkers) workers")
            notifier.status("scaling to \(wantedWorkers) workers on \(listener.address)")
        default:
            break  // SIGCHLD: reaping happens on every turn of the loop.
        }
    }

    private func readControlSockets() {
        let now = ContinuousClock.now
        for pid in Array(workers.keys) {
            let (messages, _) = workers[pid]!.control.receive()
            for message in messages {
                switch message {
                case .ready:
                    workers[pid]!.lastHeartbeat = now
                    if workers[pid]!.state == .booting {
                        workers[pid]!.state = .serving
                        logger.info("worker \(workers[pid]!.number) (pid \(pid)) is accepting connections")
                    }
                case .heartbeat:
                    workers[pid]!.lastHeartbeat = now
                case .configure, .quit:
                    logger.warning("unexpected control message from worker pid \(pid)")
                }
            }
        }
    }

    // MARK: - Keeping the process table right

    private func reapWorkers() {
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return }
            guard var worker = workers.removeValue(forKey: pid) else {
                _ = site.reaped(pid, exit: ChildExit(waitStatus: status))
                continue
            }
            board?.detach(pid: pid)
            worker.control.shutDown()
            workerExited(worker, how: ChildExit(waitStatus: status))
        }
    }

    private func workerExited(_ worker: WorkerProcess, how exit: ChildExit) {
        let name = "worker \(worker.number) (pid \(worker.pid))"
        if worker.isQuitting {
            logger.info("\(name) stopped (\(exit))")
            return
        }
        if case .stopping = phase {
            logger.info("\(name) stopped (\(exit))")
            return
        }
        if exit == .exited(ExitCodes.workerCannotBoot) {
            if roll != nil, worker.generation == generation {
                abandonRoll(because: "a new worker cannot boot with the reloaded configuration (its message is above)")
            } else {
                logger.critical("\(name) cannot boot with this configuration (its message is above); stopping rather than respawning it")
                beginStop(exitCode: ExitCodes.startupFailure, reason: "a worker cannot boot")
            }
            return
        }
        switch exit {
        case _ where worker.killedForTimeout: metrics.restarted(.timeout)
        case .signaled: metrics.restarted(.signal)
        case .exited: metrics.restarted(.exit)
        }
        let delay = backoff.delay(forDeathAt: .now)
        respawnNotBefore = .now + delay
        logger.warning("\(name) died (\(exit)); replacing it in \(delay.milliseconds) ms")
    }

    /// Kills workers that stopped sending heartbeats, and quitting ones past their deadline.
    private func murderWorkers() {
        let now = ContinuousClock.now
        let timeout = Duration.milliseconds(Int64(config.authServer.workerTimeout * 1000))
        for worker in workers.values {
            switch worker.state {
            case .booting, .serving:
                if now - worker.lastHeartbeat > timeout {
                    logger.error("worker \(worker.number) (pid \(worker.pid)) sent no heartbeat for \(config.authServer.workerTimeout) s; killing it")
                    workers[worker.pid]?.killedForTimeout = true
                    kill(worker.pid, SIGKILL)
                }
            case .quitting(let deadline):
                if now > deadline {
                    logger.warning("worker \(worker.number) (pid \(worker.pid)) is still draining after auth_server.shutdown_timeout; killing it")
                    kill(worker.pid, SIGKILL)
                }
            }
        }
    }

    /// Spawns workers until the current generation has as many as wanted, or retires the extras.
    private func manageWorkers() {
        if case .stopping = phase { return }
        let current = workers.values.filter { $0.generation == generation && !$0.isQuitting }
        if current.count < wantedWorkers {
            guard ContinuousClock.now >= respawnNotBefore else { return }
            for _ in current.count..<wantedWorkers { spawnWorker() }
        } else if current.count > wantedWorkers, roll == nil {
            for extra in current.sorted(by: { $0.number > $1.number }).prefix(current.count - wantedWorkers) {
                retire(extra.pid)
            }
        }
    }

    private func spawnWorker() {
        let used = Set(workers.values.map(\.number))
        let number = (1...).first { !used.contains($0) }!
        do {
            let (control, workerEnd) = try ControlSocket.pair()
            defer { close(workerEnd) }
            var environment = ProcessInfo.processInfo.environment
            environment[WorkerContract.workerNumberVariable] = String(number)
            environment[WorkerContract.supervisorPIDVariable] = String(getpid())
            var descriptors = [WorkerContract.listenDescriptor: listener.descriptor, WorkerContract.controlDescriptor: workerEnd]
            let region = metricsRegion()
            environment[WorkerContract.metricsVariable] = region.map { _ in String(WorkerContract.metricsDescriptor) }
            if let region { descriptors[WorkerContract.metricsDescriptor] = region.descriptor }
            let pid = try ChildSpawner.spawn(
                executable: workerExecutable,
                arguments: [],
                environment: environment,
                descriptors: descriptors
            )
            if let region { board?.attach(region, pid: pid) }
            control.send(.configure(config.document.layers))
            workers[pid] = WorkerProcess(
                pid: pid, number: number, generation: generation, control: control, state: .booting,
                lastHeartbeat: .now, listenerDescriptor: listener.descriptor)
            logger.notice("spawned worker \(number) (pid \(pid))")
        } catch {
            logger.error("cannot start a worker: \(error)")
            if case .starting = phase {
                beginStop(exitCode: ExitCodes.startupFailure, reason: "workers cannot be started")
            } else {
                respawnNotBefore = .now + .seconds(2)
            }
        }
    }

    /// A new worker's metrics region; nil when metrics are off, or (said once per worker) when
    /// the memory cannot be had: the worker then serves without counting.
    private func metricsRegion() -> MetricsRegion? {
        guard board != nil else { return nil }
        do {
            return try MetricsRegion.create(minimumDescriptor: ListeningSocket.minimumDescriptor)
        } catch {
            logger.error("a new worker will count no metrics: \(error)")
            return nil
        }
    }

    /// Asks a worker to finish its in-flight requests and exit.
    private func retire(_ pid: pid_t) {
        guard var worker = workers[pid], !worker.isQuitting else { return }
        let grace = Duration.milliseconds(Int64(config.authServer.shutdownTimeout * 1000)) + .seconds(5)
        worker.state = .quitting(deadline: .now + grace)
        if !worker.control.send(.quit) { kill(pid, SIGTERM) }
        workers[pid] = worker
    }

    private func killAll() {
        for pid in workers.keys { kill(pid, SIGKILL) }
        site.killNow()
    }

    private var isStopping: Bool {
        if case .stopping = phase { return true }
        return false
    }

    private func beginStop(exitCode: Int32, reason: String) {
        if case .stopping = phase { return }
        let limit = config.authServer.shutdownTimeout
        phase = .stopping(exitCode: exitCode)
        migration?.cancel()
        migration = nil
        notifier.stopping(status: "stopping (\(reason))")
        logger.notice("\(reason): stopping; workers have up to \(limit) s to finish in-flight requests")
        for pid in workers.keys { retire(pid) }
        site.reconcile(config, stopping: true)
    }

    private func reportReadiness() {
        guard case .starting = phase else { return }
        let serving = workers.values.filter { $0.generation == generation && $0.state == .serving }.count
        guard serving >= wantedWorkers else { return }
        phase = .running
        notifier.ready(status: statusLine())
        logger.notice("ready: \(serving) workers serving \(config.authServer.url)")
    }

    private func statusLine() -> String {
        "\(workers.values.filter { $0.state == .serving }.count) workers serving on \(listener.address)"
    }

    private func closeUnusedListeners() {
        retiredListeners.removeAll { retired in
            guard !workers.values.contains(where: { $0.listenerDescriptor == retired.descriptor }) else { return false }
            retired.close()
            return true
        }
    }

    private func pingWatchdog() {
        guard let interval = watchdogInterval, ContinuousClock.now - lastWatchdogPing >= interval / 2 else { return }
        lastWatchdogPing = .now
        notifier.watchdog()
    }

    // MARK: - Reload

    private func reload() {
        notifier.reloading(status: "reloading the configuration")
        let new: ServerConfig
        do {
            new = try ServerConfig.load(from: location)
            for warning in new.warnings { logger.warning("configuration: \(warning)") }
            // What new workers would check at boot (and the clients file, which running workers
            // re-read on every reload): a reload they would refuse is refused here, with the
            // running workers left alone, instead of new workers failing to boot.
            let checked = try BootChecks.runBlocking(config: new)
            for warning in checked.clients.warnings { logger.warning("\(warning)") }
        } catch {
            for problem in error.problems { logger.error("reload failed: \(problem)") }
            logger.error("still running the previous configuration")
            notifier.ready(status: "reload failed; \(statusLine())")
            metrics.reloaded(.failure)
            return
        }
        if new.storage != config.storage {
            logger.notice("preparing storage for the new configuration")
            migration = .start(for: new, logger: logger)
            return
        }
        apply(new)
    }

    /// Applies a reload whose storage migration has ended, once it has.
    private func finishMigration() {
        guard let migration, let result = migration.result else { return }
        self.migration = nil
        guard !isStopping else { return }
        switch result {
        case .success:
            apply(migration.config)
        case .failure(let error):
            logger.error("reload failed: cannot prepare storage: \(error); still running the previous configuration")
            notifier.ready(status: "reload failed; \(statusLine())")
            metrics.reloaded(.failure)
        }
    }

    /// Makes `new` the running configuration: in place, or by rolling new workers.
    private func apply(_ new: ServerConfig) {
        if new.authServer.metrics != runningMetrics {
            logger.warning("auth_server.metrics changes apply at the next restart; metrics stay where they are")
        }
        var change = ConfigChange(from: config, to: new)
        let newTLSFiles = Self.readTLSFiles(new)
        if change.addressChanged, listener.fromSystemd {
            logger.warning("auth_server.host and auth_server.port do not apply: the listening socket comes from systemd")
            change = ConfigChange(needsNewWorkers: change.needsNewWorkers, addressChanged: false)
        }

        guard change.needsNewWorkers || newTLSFiles != tlsFiles else {
            config = new
            adoptHotSettings()
            for worker in workers.values where !worker.isQuitting { worker.control.send(.configure(new.document.layers)) }
            logger.notice("configuration reloaded in place; log level \(new.logging.level.rawValue)")
            notifier.ready(status: statusLine())
            metrics.reloaded(.success)
            return
        }

        var newListener: ListeningSocket?
        if change.addressChanged {
            do {
                newListener = try ListeningSocket.bind(host: new.authServer.host, port: new.authServer.port, backlog: new.authServer.backlog)
            } catch {
                logger.error("reload failed: \(error); still running the previous configuration")
                notifier.ready(status: "reload failed; \(statusLine())")
                metrics.reloaded(.failure)
                return
            }
        }
        roll = Roll(
            previousConfig: config,
            previousGeneration: generation,
            previousListener: newListener == nil ? nil : listener,
            previousTLSFiles: tlsFiles
        )
        if let newListener { listener = newListener }
        config = new
        tlsFiles = newTLSFiles
        generation += 1
        adoptHotSettings()
        logger.notice("configuration reloaded; starting \(wantedWorkers) new workers to replace the running ones")
    }

    private func adoptHotSettings() {
        LogSettings.shared.apply(config.logging)
        wantedWorkers = config.authServer.workers.resolved()
    }

    /// Once the new generation serves, the old one drains; the reload is then complete.
    private func advanceRoll() {
        guard let roll else { return }
        let serving = workers.values.filter { $0.generation == generation && $0.state == .serving }.count
        guard serving >= wantedWorkers else { return }
        for worker in workers.values where worker.generation != generation { retire(worker.pid) }
        if let old = roll.previousListener { retiredListeners.append(old) }
        self.roll = nil
        logger.notice("reload complete: \(serving) workers on the new configuration")
        notifier.ready(status: statusLine())
        metrics.reloaded(.success)
    }

    private func abandonRoll(because reason: String) {
        guard let roll else { return }
        logger.error("reload abandoned: \(reason); still serving with the previous configuration")
        for worker in workers.values where worker.generation == generation { retire(worker.pid) }
        if let previous = roll.previousListener {
            retiredListeners.append(listener)
            listener = previous
        }
        config = roll.previousConfig
        tlsFiles = roll.previousTLSFiles
        generation = roll.previousGeneration
        adoptHotSettings()
        self.roll = nil
        notifier.ready(status: "reload failed; \(statusLine())")
        metrics.reloaded(.failure)
    }

    /// The certificate and key as they are on disk now, so a renewed certificate rolls the workers.
    private static func readTLSFiles(_ config: ServerConfig) -> [Data?] {
        guard config.authServer.ssl else { return [] }
        return [config.authServer.sslCertificatePath, config.authServer.sslKeyPath].map { path in
            path.flatMap { FileManager.default.contents(atPath: $0) }
        }
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
