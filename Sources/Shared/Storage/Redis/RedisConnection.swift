import Glibc
import NIOCore
import NIOPosix
import SharedPlatform

/// One TCP connection to Redis that has finished `AUTH` and `SELECT`, so every command sent on
/// it runs as the configured user in the configured database.
final class RedisConnection: Sendable {
    /// Where and how to connect; shared by every connection of a client.
    struct Settings: Sendable {
        var host: String
        var port: Int
        var database: Int
        var password: String?
        /// Check with `ROLE` that the server is a primary (a Sentinel-named address may be stale).
        var requirePrimary: Bool
        var connectTimeout: Duration
        var commandTimeout: Duration

        var endpoint: String { Self.endpoint(host: host, port: port) }

        static func endpoint(host: String, port: Int) -> String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// Tells this connection apart from the one that replaces it in the same pool slot.
    let id: UInt64
    private let channel: any Channel
    private let endpoint: String

    var isActive: Bool { channel.isActive }
    var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    private init(id: UInt64, channel: any Channel, endpoint: String) {
        self.id = id
        self.channel = channel
        self.endpoint = endpoint
    }

    /// Connects (bounded by `connectTimeout`) and authenticates (bounded by `commandTimeout`).
    /// Fails with `unavailable` when Redis cannot be reached, `serverError` when it refuses
    /// `AUTH` or `SELECT`; a half-made connection is closed.
    static func connect(id: UInt64, settings: Settings, on eventLoop: any EventLoop) -> EventLoopFuture<RedisConnection> {
        let endpoint = settings.endpoint
        let commandTimeout = TimeAmount(settings.commandTimeout)
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(settings.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        RedisChannelHandler(endpoint: endpoint, commandTimeout: commandTimeout))
                }
            }
            .connect(host: settings.host, port: settings.port)
            .flatMapErrorThrowing { error in
                throw RedisClientError(kind: .unavailable, message: "cannot connect to \(endpoint): \(reason(error))")
            }
            .flatMap { channel in
                let connection = RedisConnection(id: id, channel: channel, endpoint: endpoint)
                return connection.handshake(settings)
                    .map { connection }
                    .flatMapError { error in
                        channel.close(promise: nil)
                        return channel.eventLoop.makeFailedFuture(error)
                    }
            }
    }

    /// Queues one encoded command; replies come back in order, so commands from many callers
    /// can share the connection without waiting for each other.
    func send(_ command: ByteBuffer) -> EventLoopFuture<RedisReply> {
        send(batch: [command])[0]
    }

    /// Queues several encoded commands with one flush, so they travel together and their
    /// replies come back in one round trip.
    func send(batch commands: [ByteBuffer]) -> [EventLoopFuture<RedisReply>] {
        let endpoint = self.endpoint
        // On the channel's loop with the channel open, the write reaches `RedisChannelHandler`
        // at once and its reply is pending there: a write that fails later closes the connection,
        // which fails every pending reply. So no write promise (an allocation per command) then.
        let handedOver = channel.eventLoop.inEventLoop && channel.isActive
        let replies = commands.map { command in
            let reply = channel.eventLoop.makePromise(of: RedisReply.self)
            let write = RedisChannelHandler.Command(bytes: command, reply: reply)
            if handedOver {
                channel.write(write, promise: nil)
            } else {
                channel.write(write).whenFailure { error in
                    reply.fail(RedisClientError(kind: .unavailable, message: "cannot write to \(endpoint): \(error)"))
                }
            }
            return reply.futureResult
        }
        channel.flush()
        return replies
    }

    /// Closes the connection; commands still waiting fail with `unavailable`. The future
    /// completes once the socket is closed.
    @discardableResult
    func close() -> EventLoopFuture<Void> {
        channel.close(promise: nil)
        return channel.closeFuture
    }

    /// `AUTH`, `SELECT` and `ROLE` are pipelined; the first refusal is the one reported.
    private func handshake(_ settings: Settings) -> EventLoopFuture<Void> {
        var steps: [(name: String, reply: EventLoopFuture<RedisReply>)] = []
        if let password = settings.password {
            steps.append(("AUTH", send(RedisCommandEncoder.encode([Array("AUTH".utf8), Array(password.utf8)]))))
        }
        // Database 0 is where a new connection already is; skipping SELECT saves a round trip.
        if settings.database != 0 {
            steps.append(("SELECT", send(RedisCommandEncoder.encode([Array("SELECT".utf8), Array(String(settings.database).utf8)]))))
        }
        if settings.requirePrimary {
            steps.append(("ROLE", send(RedisCommandEncoder.encode([Array("ROLE".utf8)]))))
        }
        let endpoint = self.endpoint
        var done = channel.eventLoop.makeSucceededVoidFuture()
        for step in steps {
            done = done.flatMap { step.reply }.flatMapThrowing { reply in
                if case .error(let message) = reply {
                    throw RedisClientError(kind: .serverError, message: "\(endpoint) refused \(step.name): \(message)")
                }
                if step.name == "ROLE", case .array(let fields?) = reply, case .bulk(let role?)? = fields.first, role != Array("master".utf8) {
                    // A failover has moved the primary: to the caller this is an outage that
                    // ends once the sentinels are asked again.
                    throw RedisClientError(kind: .unavailable, message: "\(endpoint) is a \(String(decoding: role, as: UTF8.self)), not the primary")
                }
            }
        }
        return done
    }

    /// NIO's connection errors list every address tried; keep only what an operator needs.
    private static func reason(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            if let failure = error.connectionErrors.first {
                return reason(failure.error)
            }
            if let dnsError = error.dnsAError ?? error.dnsAAAAError {
                return "cannot resolve host (\(dnsError))"
            }
        }
        if let error = error as? IOError {
            return "\(String(cString: strerror(error.errnoCode))) (errno \(error.errnoCode))"
        }
        if case ChannelError.connectTimeout(let amount) = error {
            return "timed out after \(Double(amount.nanoseconds) / 1e9) s"
        }
        return "\(error)"
    }
}
