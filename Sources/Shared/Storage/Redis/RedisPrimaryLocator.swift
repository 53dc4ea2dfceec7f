import Logging
import NIOCore
import Synchronization
import SharedPlatform

/// Where a Redis client's connections go: a fixed address, or the primary that Redis Sentinel
/// names for a master name. With Sentinel the answer is remembered until a connection shows it
/// is stale (it cannot connect, the server says it is a replica, or a write meets `READONLY`
/// after a failover), and then asked again: the next connection follows the new primary.
final class RedisPrimaryLocator: Sendable {
    enum Source: Sendable {
        case fixed(host: String, port: Int)
        case sentinel(sentinels: [StorageBackendConfig.RedisAddress], masterName: String)
    }

    let source: Source
    private let connectTimeout: Duration
    private let commandTimeout: Duration
    private let logger: Logger
    private let known = Mutex<StorageBackendConfig.RedisAddress?>(nil)

    init(_ source: Source, connectTimeout: Duration, commandTimeout: Duration, logger: Logger) {
        self.source = source
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.logger = logger
    }

    /// Whether a connection must check that it reached the primary (`ROLE`): a sentinel's answer
    /// may be a moment old, and a demoted primary still accepts connections.
    var requiresPrimary: Bool {
        if case .sentinel = source { return true }
        return false
    }

    /// For logs and errors.
    var description: String {
        switch source {
        case .fixed(let host, let port): RedisConnection.Settings.endpoint(host: host, port: port)
        case .sentinel(_, let masterName): "the primary of \(masterName) (Sentinel)"
        }
    }

    /// The address to connect to.
    func primary(on eventLoop: any EventLoop) async throws(RedisClientError) -> StorageBackendConfig.RedisAddress {
        switch source {
        case .fixed(let host, let port):
            return StorageBackendConfig.RedisAddress(host: host, port: port)
        case .sentinel(let sentinels, let masterName):
            if let address = known.withLock({ $0 }) { return address }
            let address = try await ask(sentinels, for: masterName, on: eventLoop)
            let changed = known.withLock { known in
                defer { known = address }
                return known != address
            }
            if changed { logger.notice("Redis Sentinel names \(address.host):\(address.port) the primary of \(masterName)") }
            return address
        }
    }

    /// The remembered primary proved stale: the next connection asks the sentinels again.
    func forget() {
        known.withLock { $0 = nil }
    }

    /// Asks each sentinel in turn; the first that answers is believed (sentinels agree on the
    /// primary once a failover is over, and during one the connection's `ROLE` check catches
    /// an answer that is already out of date).
    private func ask(
        _ sentinels: [StorageBackendConfig.RedisAddress], for masterName: String, on eventLoop: any EventLoop
    ) async throws(RedisClientError) -> StorageBackendConfig.RedisAddress {
        var failures: [String] = []
        for sentinel in sentinels {
            let settings = RedisConnection.Settings(
                host: sentinel.host, port: sentinel.port, database: 0, password: nil, requirePrimary: false,
                connectTimeout: connectTimeout, commandTimeout: commandTimeout)
            do {
                let connection = try await RedisConnection.connect(id: 0, settings: settings, on: eventLoop).get()
                defer { connection.close() }
                let reply = try await connection.send(RedisCommandEncoder.encode([
                    Array("SENTINEL".utf8), Array("get-master-addr-by-name".utf8), Array(masterName.utf8),
                ])).get()
                guard case .array(let fields?) = reply, fields.count == 2, case .bulk(let host?) = fields[0], case .bulk(let port?) = fields[1],
                    let portNumber = Int(String(decoding: port, as: UTF8.self))
                else {
                    failures.append("\(settings.endpoint) does not know \(masterName)")
                    continue
                }
                return StorageBackendConfig.RedisAddress(host: String(decoding: host, as: UTF8.self), port: portNumber)
            } catch {
                failures.append("\(error)")
            }
        }
        throw RedisClientError(kind: .unavailable, message: "no sentinel named the primary of \(masterName): \(failures.joined(separator: "; "))")
    }
}
