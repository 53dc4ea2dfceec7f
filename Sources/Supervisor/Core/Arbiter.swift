import Foundation
import Logging
import SharedPlatform
import SharedStorage
import Synchronization

/// The supervisor's main loop, after gunicorn's arbiter: wait for a signal, a control message or
/// a tick; handle it; then make the world match the wanted state (reap, murder hung workers,
/// spawn or retire workers, finish a rolling reload). It decides; `ProcessControl` acts, so each
/// decision is unit-tested without processes. Everything runs on the main thread, the thread
/// that spawns workers, so their parent-death signal stays armed for the supervisor's life; the
/// only slow step, preparing storage for a reloaded configuration (migrations), runs elsewhere
/// while the loop goes on reading signals and heartbeats.
package final class Arbiter {
    package enum Phase: Equatable {
        case starting
        case running
        /// Workers drain, each within its own deadline (see `retire`).
        case stopping(exitCode: Int32)
    }

    /// A reload being read, checked and prepared off the loop thread.
    private final class PreparedReload: Sendable {
        enum Failure: Error {
            case configuration(ConfigError)
            case storage(any Error)
        }

        /// A checked configuration, and the files its workers would read at boot.
        struct Ready: Sendable {
            let config: ServerConfig
            let files: BootFiles
        }

        private let outcome = Mutex<Result<Ready, Failure>?>(nil)

        var result: Result<Ready, Failure>? { outcome.withLock { $0 } }
        func finish(_ result: Result<Ready, Failure>) { outcome.withLock { $0 = result } }
    }

    private let location: ConfigLocation
    /// What the workers being started (and, once it accepts, all of them) run.
    private var current: Generation
    /// During a rolling reload: the generation that serves until `current` accepts.
    private var previous: Generation?
    private var preparing: PreparedReload?
    private var lastGenerationNumber = 1
    private var retiredListeners: [ListeningSocket] = []
    package private(set) var workers: [pid_t: WorkerProcess] = [:]
    package private(set) var wantedWorkers: Int
    private var reloadRequested = false
    package private(set) var phase = Phase.starting
    private var backoff = RestartBackoff()
    private var respawnNotBefore: ContinuousClock.Instant
    private var lastWatchdogPing: ContinuousClock.Instant
    private let processes: any ProcessControl
    private let prepareStorage: @Sendable (StorageConfig, Logger) async throws -> Void
    private let site: DummySiteKeeper
    private let notifier = SystemdNotifier()
    private let watchdogInterval: Duration?
    private let logger: Logger
    private let metrics: SupervisorMetrics
    /// The workers' metrics, when `auth_server.metrics` is on.
    private let board: MetricsBoard?
    private let metricsListener: MetricsListener?
    /// The metrics settings the listener was started with (a reload does not move it).
    private let runningMetrics: MetricsConfig

    /// - Parameter prepareStorage: brings the stores of a reloaded configuration to the schema
    ///   this version needs (run off the loop thread).
    package init(
        config: ServerConfig, location: ConfigLocation, processes: any ProcessControl, logger: Logger,
        prepareStorage: @escaping @Sendable (StorageConfig, Logger) async throws -> Void = StorageMigrator.migrate
    ) throws {
        self.location = location
        self.processes = processes
        self.prepareStorage = prepareStorage
        self.logger = logger
        let listener = try ListeningSocket.open(
            host: config.authServer.host, port: config.authServer.port, backlog: config.authServer.backlog)
        self.current = Generation(number: lastGenerationNumber, config: config, listener: listener)
        self.wantedWorkers = config.authServer.workers.resolved()
        self.respawnNotBefore = processes.now
        self.lastWatchdogPing = processes.now
        self.watchdogInterval = notifier.watchdogInterval()
        self.site = DummySiteKeeper(processes: processes, logger: logger)
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

    /// The configuration new workers start with.
    package var config: ServerConfig { current.config }
    /// The number of the configuration new workers start with; each reload that needs new
    /// workers makes a new one.
    package var generation: Int { current.number }
    /// A reload is under way: new workers are starting, the previous ones still serve.
    package var isRolling: Bool { previous != nil }
    /// The supervisor's own metrics in the Prometheus text format.
    package var renderedMetrics: String { metrics.rendered() }

    /// Runs until the server has stopped; returns the process exit code.
    package func run() -> Int32 {
        logger.notice("oauth2-server \(OAuth2ServerVersion.current) starting \(wantedWorkers) workers on \(current.listener.address) (\(config.authServer.url))")
        if let metricsListener { logger.notice("metrics at http://\(metricsListener.address)/metrics") }
        // The first turn spawns the workers at once rather than after a wait for events.
        var wait = Duration.zero
        while true {
            if let exitCode = turn(waitingUpTo: wait) { return exitCode }
            wait = .milliseconds(200)
        }
    }

    /// One turn of the loop: waits up to `timeout` for something to happen, handles it and sets
    /// the world right; the exit code once the server has stopped.
    package func turn(waitingUpTo timeout: Duration = .milliseconds(200)) -> Int32? {
        processes.waitForEvents(on: workers.values.map(\.control), timeout: timeout)
        for signal in processes.receivedSignals() { handle(signal: signal) }
        readControlChannels()
        reapChildren()
        murderWorkers()
        if case .stopping(let exitCode) = phase, workers.isEmpty, site.isStopped {
            current.listener.close()
            if let previous, previous.listener.descriptor != current.listener.descriptor { previous.listener.close() }
            retiredListeners.forEach { $0.close() }
            metricsListener?.close()
            logger.notice("stopped")
            return exitCode
        }
        // A reload waits for one under way to finish; one asked for while stopping is moot.
        if reloadRequested, previous == nil, preparing == nil, !isStopping {
            reloadRequested = false
            reload()
        }
        finishReload()
        manageWorkers()
        site.reconcile(config, stopping: isStopping)
        advanceRoll()
        reportReadiness()
        closeUnusedListeners()
        pingWatchdog()
        metrics.workerCount(workers.values.filter { !$0.isQuitting }.count)
        return nil
    }

    // MARK: - Events

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
            notifier.status("scaling to \(wantedWorkers) workers on \(current.listener.address)")
        case SIGTTOU:
            wantedWorkers = max(1, wantedWorkers - 1)
            logger.notice("SIGTTOU: running \(wantedWorkers) workers")
            notifier.status("scaling to \(wantedWorkers) workers on \(current.listener.address)")
        default:
            break  // SIGCHLD: reaping happens on every turn of the loop.
        }
    }

    private func readControlChannels() {
        let now = processes.now
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

    private func reapChildren() {
        for (pid, exit) in processes.reapExited() {
            guard var worker = workers.removeValue(forKey: pid) else {
                _ = site.reaped(pid, exit: exit)
                continue
            }
            board?.detach(pid: pid)
            worker.control.shutDown()
            workerExited(worker, how: exit)
        }
    }

    private func workerExited(_ worker: WorkerProcess, how exit: ChildExit) {
        let name = "worker \(worker.number) (pid \(worker.pid))"
        if worker.isQuitting || isStopping {
            logger.info("\(name) stopped (\(exit))")
            return
        }
        if exit == .exited(ExitCodes.workerCannotBoot) {
            if previous != nil, worker.generation == current.number {
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
        let delay = backoff.delay(forDeathAt: processes.now)
        respawnNotBefore = processes.now + delay
        logger.warning("\(name) died (\(exit)); replacing it in \(delay.milliseconds) ms")
    }

    /// Kills workers that stopped sending heartbeats, and quitting ones past their deadline.
    private func murderWorkers() {
        let now = processes.now
        let timeout = Duration.milliseconds(Int64(config.authServer.workerTimeout * 1000))
        for worker in workers.values {
            switch worker.state {
            case .booting, .serving:
                if now - worker.lastHeartbeat > timeout, !worker.killedForTimeout {
                    logger.error("worker \(worker.number) (pid \(worker.pid)) sent no heartbeat for \(config.authServer.workerTimeout) s; killing it")
                    workers[worker.pid]?.killedForTimeout = true
                    processes.signal(worker.pid, SIGKILL)
                }
            case .quitting(let deadline):
                if now > deadline {
                    logger.warning("worker \(worker.number) (pid \(worker.pid)) is still draining after auth_server.shutdown_timeout; killing it")
                    processes.signal(worker.pid, SIGKILL)
                }
            }
        }
    }

    /// Spawns workers until the current generation has as many as wanted, or retires the extras.
    private func manageWorkers() {
        if isStopping { return }
        let running = workers.values.filter { $0.generation == current.number && !$0.isQuitting }
        if running.count < wantedWorkers {
            guard processes.now >= respawnNotBefore else { return }
            for _ in running.count..<wantedWorkers { spawnWorker() }
        } else if running.count > wantedWorkers, previous == nil {
            for extra in running.sorted(by: { $0.number > $1.number }).prefix(running.count - wantedWorkers) {
                retire(extra.pid)
            }
        }
    }

    private func spawnWorker() {
        let used = Set(workers.values.map(\.number))
        let number = (1...).first { !used.contains($0) }!
        let region = metricsRegion()
        do {
            let (pid, control) = try processes.startWorker(
                WorkerLaunch(number: number, listener: current.listener, metricsRegion: region, configuration: config.document.layers))
            if let region { board?.attach(region, pid: pid) }
            workers[pid] = WorkerProcess(
                pid: pid, number: number, generation: current.number, control: control, state: .booting,
                lastHeartbeat: processes.now, listenerDescriptor: current.listener.descriptor)
            logger.notice("spawned worker \(number) (pid \(pid))")
        } catch {
            logger.error("cannot start a worker: \(error)")
            if case .starting = phase {
                beginStop(exitCode: ExitCodes.startupFailure, reason: "workers cannot be started")
            } else {
                respawnNotBefore = processes.now + .seconds(2)
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
        worker.state = .quitting(deadline: processes.now + grace)
        if !worker.control.send(.quit) { processes.signal(pid, SIGTERM) }
        workers[pid] = worker
    }

    private func killAll() {
        for pid in workers.keys { processes.signal(pid, SIGKILL) }
        site.killNow()
    }

    private var isStopping: Bool {
        if case .stopping = phase { return true }
        return false
    }

    private func beginStop(exitCode: Int32, reason: String) {
        if isStopping { return }
        let limit = config.authServer.shutdownTimeout
        phase = .stopping(exitCode: exitCode)
        notifier.stopping(status: "stopping (\(reason))")
        logger.notice("\(reason): stopping; workers have up to \(limit) s to finish in-flight requests")
        for pid in workers.keys { retire(pid) }
        site.reconcile(config, stopping: true)
    }

    private func reportReadiness() {
        guard case .starting = phase else { return }
        let serving = workers.values.filter { $0.generation == current.number && $0.state == .serving }.count
        guard serving >= wantedWorkers else { return }
        phase = .running
        notifier.ready(status: statusLine())
        logger.notice("ready: \(serving) workers serving \(config.authServer.url)")
    }

    private func statusLine() -> String {
        "\(workers.values.filter { $0.state == .serving }.count) workers serving on \(current.listener.address)"
    }

    /// A socket a reload replaced is closed once no worker accepts on it.
    private func closeUnusedListeners() {
        retiredListeners.removeAll { retired in
            guard !workers.values.contains(where: { $0.listenerDescriptor == retired.descriptor }) else { return false }
            retired.close()
            return true
        }
    }

    private func pingWatchdog() {
        guard let interval = watchdogInterval, processes.now - lastWatchdogPing >= interval / 2 else { return }
        lastWatchdogPing = processes.now
        notifier.watchdog()
    }

    // MARK: - Reload

    /// Reads and checks the files again, and brings the stores of a changed storage section to
    /// this version's schema, all off the loop thread: a migration may take long (an index on a
    /// big table), and meanwhile the loop goes on reading signals and heartbeats and pinging the
    /// watchdog. It picks the outcome up when it is there (`finishReload`).
    private func reload() {
        notifier.reloading(status: "reloading the configuration")
        let prepared = PreparedReload()
        preparing = prepared
        let runningStorage = config.storage
        Task.detached { [location, prepareStorage, logger] in
            let new: ServerConfig
            do throws(ConfigError) {
                new = try ServerConfig.load(from: location)
                for warning in new.warnings { logger.warning("configuration: \(warning)") }
                // What new workers would check at boot (and the clients file, which running
                // workers re-read on every reload): a reload they would refuse is refused here,
                // with the running workers left alone, instead of new workers failing to boot.
                let checked = try await BootChecks.run(config: new)
                for warning in checked.clients.warnings { logger.warning("\(warning)") }
            } catch {
                prepared.finish(.failure(.configuration(error)))
                return
            }
            do {
                if new.storage != runningStorage {
                    logger.notice("preparing storage for the reloaded configuration")
                    try await prepareStorage(new.storage, logger)
                }
                // Read here too, not on the loop: every template and the certificate files.
                prepared.finish(.success(PreparedReload.Ready(config: new, files: BootFiles(new))))
            } catch {
                prepared.finish(.failure(.storage(error)))
            }
        }
    }

    private func finishReload() {
        guard let prepared = preparing, let result = prepared.result else { return }
        preparing = nil
        guard !isStopping else { return }
        switch result {
        case .success(let ready):
            apply(ready.config, files: ready.files)
        case .failure(.configuration(let error)):
            for problem in error.problems { logger.error("reload failed: \(problem)") }
            reloadFailed()
        case .failure(.storage(let error)):
            logger.error("reload failed: cannot prepare storage: \(error)")
            reloadFailed()
        }
    }

    private func reloadFailed() {
        logger.error("still running the previous configuration")
        notifier.ready(status: "reload failed; \(statusLine())")
        metrics.reloaded(.failure)
    }

    /// Applies a checked configuration: in place when only hot settings changed, otherwise by
    /// starting a new generation of workers beside the running one.
    private func apply(_ new: ServerConfig, files newFiles: BootFiles) {
        if new.authServer.metrics != runningMetrics {
            logger.warning("auth_server.metrics changes apply at the next restart; metrics stay where they are")
        }
        var change = ConfigChange(from: config, to: new)
        if change.addressChanged, current.listener.fromSystemd {
            logger.warning("auth_server.host and auth_server.port do not apply: the listening socket comes from systemd")
            change = ConfigChange(needsNewWorkers: change.needsNewWorkers, addressChanged: false)
        }

        guard change.needsNewWorkers || newFiles != current.files else {
            current = Generation(number: current.number, config: new, listener: current.listener, files: newFiles)
            adoptHotSettings()
            for worker in workers.values where !worker.isQuitting { worker.control.send(.configure(new.document.layers)) }
            logger.notice("configuration reloaded in place; log level \(new.logging.level.rawValue)")
            notifier.ready(status: statusLine())
            metrics.reloaded(.success)
            return
        }

        var listener = current.listener
        if change.addressChanged {
            do {
                listener = try ListeningSocket.bind(host: new.authServer.host, port: new.authServer.port, backlog: new.authServer.backlog)
            } catch {
                logger.error("reload failed: \(error)")
                reloadFailed()
                return
            }
        }
        lastGenerationNumber += 1
        previous = current
        current = Generation(number: lastGenerationNumber, config: new, listener: listener, files: newFiles)
        adoptHotSettings()
        logger.notice("configuration reloaded; starting \(wantedWorkers) new workers to replace the running ones")
    }

    private func adoptHotSettings() {
        LogSettings.shared.apply(config.logging)
        wantedWorkers = config.authServer.workers.resolved()
    }

    /// Once the new generation serves, the previous one drains; the reload is then complete.
    private func advanceRoll() {
        guard let previous else { return }
        let serving = workers.values.filter { $0.generation == current.number && $0.state == .serving }.count
        guard serving >= wantedWorkers else { return }
        for worker in workers.values where worker.generation != current.number { retire(worker.pid) }
        if previous.listener.descriptor != current.listener.descriptor { retiredListeners.append(previous.listener) }
        self.previous = nil
        logger.notice("reload complete: \(serving) workers on the new configuration")
        notifier.ready(status: statusLine())
        metrics.reloaded(.success)
    }

    /// The new generation cannot boot: it is retired and the previous one, still serving, is
    /// current again.
    private func abandonRoll(because reason: String) {
        guard let previous else { return }
        logger.error("reload abandoned: \(reason); still serving with the previous configuration")
        for worker in workers.values where worker.generation == current.number { retire(worker.pid) }
        if previous.listener.descriptor != current.listener.descriptor { retiredListeners.append(current.listener) }
        current = previous
        self.previous = nil
        adoptHotSettings()
        notifier.ready(status: "reload failed; \(statusLine())")
        metrics.reloaded(.failure)
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
