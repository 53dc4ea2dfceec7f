import Logging
import SharedPlatform
import Synchronization

/// The configuration a worker runs with now, and the part of a reload it applies in place
/// (log level, short_sid, the clients file). Anything else the supervisor applies by rolling workers.
final class WorkerRuntime: Sendable {
    private let current: Mutex<ServerConfig>
    private let registeredClients: Mutex<ClientRegistry>
    private let logger: Logger

    init(config: ServerConfig, clients: ClientRegistry, logger: Logger) {
        self.current = Mutex(config)
        self.registeredClients = Mutex(clients)
        self.logger = logger
        LogSettings.shared.apply(config.logging)
    }

    var config: ServerConfig { current.withLock { $0 } }

    /// The clients file as last read; re-read on every reload.
    var clients: ClientRegistry { registeredClients.withLock { $0 } }

    /// Applies a configuration the supervisor has already validated; a worker that still
    /// finds it unusable keeps the one it has.
    func reload(_ layers: [ConfigDocument.Layer]) {
        do {
            let config = try ServerConfig(document: ConfigDocument(location: .fromEnvironment(), layers: layers))
            current.withLock { $0 = config }
            LogSettings.shared.apply(config.logging)
            logger.info("configuration reloaded; log level \(config.logging.level.rawValue)")
            let clients = try ClientRegistry.load(path: config.clientCredentials.file)
            registeredClients.withLock { $0 = clients }
        } catch {
            logger.error("keeping the previous configuration: \(error)")
        }
    }
}
