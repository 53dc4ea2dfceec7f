import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import SharedKeys
import SharedPlatform
import SharedStorage
import ServiceLifecycle
import UnixSignals

/// The worker process from start to exit: identity, configuration from the supervisor,
/// the HTTP stack on the inherited socket, and the control loop.
package enum WorkerBoot {
    /// Problems that would stop any worker with this configuration from serving, each naming
    /// the file and key at fault where there is one.
    struct CannotBoot: Error {
        let problems: [String]

        init(description: String) { problems = [description] }

        init(_ error: any Error) {
            problems = (error as? ConfigError)?.problems.map(\.description) ?? ["\(error)"]
        }
    }

    /// Runs the worker and returns its exit code.
    package static func run() async -> Int32 {
        let environment = ProcessInfo.processInfo.environment
        let number = environment[WorkerContract.workerNumberVariable] ?? "0"
        ServerLogHandler.bootstrap(role: "worker.\(number)")
        let logger = Logger(label: "oauth2.worker")

        guard SupervisorLink.stopWithSupervisor(environment: environment) else {
            logger.error("the supervisor is gone; exiting")
            return ExitCodes.success
        }

        do {
            try await serve(logger: logger)
            logger.info("stopped")
            return ExitCodes.success
        } catch let error as CannotBoot {
            for problem in error.problems { logger.critical("cannot boot: \(problem)") }
            return ExitCodes.workerCannotBoot
        } catch {
            logger.error("stopped on error: \(error)")
            return ExitCodes.startupFailure
        }
    }

    private static func serve(logger: Logger) async throws {
        let config: ServerConfig
        let checked: BootChecks
        do {
            // The supervisor sends the files as it read them, layer by layer, so a problem
            // names the file an operator has to change.
            let layers = try InitialConfiguration.read(from: WorkerContract.controlDescriptor)
            config = try ServerConfig(document: ConfigDocument(location: .fromEnvironment(), layers: layers))
            checked = try await BootChecks.run(config: config)
        } catch {
            throw CannotBoot(error)
        }
        let metrics = WorkerMetrics.fromSupervisor(environment: ProcessInfo.processInfo.environment, logger: logger)
        let stack = try await Stack.build(config: config, checked: checked, metrics: metrics, logger: logger)
        let serving = HTTPServing(
            responder: stack.responder,
            timeouts: ConnectionTimeouts(
                idle: .milliseconds(Int64(config.authServer.idleTimeout * 1000)),
                requestHeader: .milliseconds(Int64(config.authServer.requestHeaderTimeout * 1000))),
            tls: checked.tls, maxBodyBytes: WorkerRequestContext.maxUploadSize)
        try await serve(serving, stack: stack, logger: logger)
    }

    private static func serve(_ serving: HTTPServing, stack: Stack, logger: Logger) async throws {
        let (runtime, keyRing) = (stack.runtime, stack.keyRing)
        let config = runtime.config
        let eventLoopGroup = MultiThreadedEventLoopGroup.singleton
        let heartbeat = WorkerContract.heartbeatInterval(workerTimeout: config.authServer.workerTimeout)
        let control = try await ControlChannel.open(
            descriptor: WorkerContract.controlDescriptor,
            eventLoopGroup: eventLoopGroup,
            heartbeatInterval: .milliseconds(Int64(heartbeat * 1000)),
            logger: logger
        )
        let server = InheritedSocketServer(
            descriptor: WorkerContract.listenDescriptor,
            serving: serving,
            limiter: ConnectionLimiter(limit: config.authServer.maxConnections ?? ConnectionLimiter.defaultLimit(), logger: logger),
            eventLoopGroup: eventLoopGroup,
            logger: logger
        ) {
            logger.info("accepting connections")
            try? await control.send(.ready)
        }
        let group = ServiceGroup(configuration: .init(
            services: [
                .init(service: BackendsService(storage: stack.storage, site: stack.siteHTTP)),
                .init(service: KeyRingService(keyRing: keyRing)),
                .init(service: server),
                .init(service: ControlService(control: control, runtime: runtime, keyRing: keyRing, logger: logger),
                      successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ).withShutdownLimit(seconds: config.authServer.shutdownTimeout))
        try await group.run()
    }
}

extension WorkerBoot {
    /// Everything a worker answers requests with, built from its checked configuration: the
    /// stores, the site, the signing keys, and the router with its middleware behind the
    /// responder every request goes through. The process serves it on the inherited socket;
    /// the in-process tests (Tests/WorkerAppTests) answer requests with the same stack.
    package struct Stack: Sendable {
        let runtime: WorkerRuntime
        let storage: StorageRegistry
        let siteHTTP: SiteHTTPClient
        let keyRing: KeyRing
        let responder: HTTPRequestHandler.Responder

        static func build(config: ServerConfig, checked: BootChecks, metrics: WorkerMetrics, logger: Logger) async throws -> Stack {
            let runtime = WorkerRuntime(config: config, clients: checked.clients, logger: logger)
            let storage: StorageRegistry
            do {
                storage = try await StorageRegistry.open(
                    config.storage, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, metrics: metrics.factory, logger: logger)
            } catch {
                // An SQLite file that cannot be opened (the supervisor created it; its folder or
                // permissions changed since).
                throw CannotBoot(description: "\(ConfigProblem(file: config.document.origin(of: "storage"), key: "storage", message: "cannot be opened: \(error)"))")
            }
            let siteHTTP = SiteHTTPClient(config: config.resourceServer)
            let site = ResourceServerTypes.make(config: config, http: siteHTTP)
            let pages = PageRenderer(library: checked.templates, views: config.authServer.views, site: site)
            let keyRing = KeyRing(store: storage.signingKeys(config.authServer), config: config, clients: { runtime.clients }, logger: logger)
            let router = WorkerRouter.build(
                runtime: runtime, storage: storage, site: site, pages: pages, keyRing: keyRing, metrics: metrics, logger: logger)
            let responder = HTTPServing.responder(for: router, logger: logger, strictTransportSecurity: config.authServer.ssl)
            return Stack(runtime: runtime, storage: storage, siteHTTP: siteHTTP, keyRing: keyRing, responder: responder)
        }

        /// The stack of a worker that counts no metrics.
        package static func build(config: ServerConfig, checked: BootChecks, logger: Logger) async throws -> Stack {
            try await build(config: config, checked: checked, metrics: .disabled, logger: logger)
        }

        /// The audit trail every decision is appended to (`storage.audit`), for tests to read.
        package var audit: any AuditLog { storage.audit }

        /// Answers `request` as if it had arrived on `channel`.
        package func respond(to request: Request, channel: any Channel) async -> Response {
            await responder(request, channel)
        }

        /// Closes the connections to storage and to the site (in the process, `BackendsService` does).
        package func shutdown() async {
            await siteHTTP.shutdown()
            await storage.shutdown()
        }
    }
}

/// Follows the supervisor's orders: apply a new configuration, or quit (drain and exit).
/// When the supervisor closes the socket, the worker stops too.
struct ControlService: Service {
    let control: ControlChannel
    let runtime: WorkerRuntime
    let keyRing: KeyRing
    let logger: Logger

    func run() async throws {
        for await message in control.messages.cancelOnGracefulShutdown() {
            switch message {
            case .configure(let layers):
                runtime.reload(layers)
                // A reload (SIGHUP) is how an operator says "the keys changed" after rotate-keys.
                keyRing.wakeUp()
            case .quit:
                logger.info("asked to stop; finishing in-flight requests")
                return
            case .ready, .heartbeat:
                logger.warning("unexpected control message from the supervisor: \(message)")
            }
        }
        if !Task.isShuttingDownGracefully {
            logger.warning("the supervisor closed the control socket; stopping")
        }
    }
}

extension ServiceGroupConfiguration {
    /// Bounds the drain by `auth_server.shutdown_timeout`, then cancels what is left.
    func withShutdownLimit(seconds: Double) -> ServiceGroupConfiguration {
        var configuration = self
        configuration.maximumGracefulShutdownDuration = .milliseconds(Int64(seconds * 1000))
        configuration.maximumCancellationDuration = .seconds(2)
        return configuration
    }
}
