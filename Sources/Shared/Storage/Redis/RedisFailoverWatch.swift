import Logging
import NIOCore
import NIOPosix
import Synchronization
import SharedPlatform

/// Listens to the sentinels' `+switch-master` announcements (Redis Sentinel's pub/sub) and, when
/// the primary of this client's master name moves, closes the client's connections at once:
/// the next command asks the sentinels where the primary is now and connects there.
///
/// Without it the client still finds the new primary, but only once a connection fails on its
/// own: a `READONLY` reply, a connection the demoted server closes, or, when the old primary
/// hangs rather than dies, each command's timeout. With it, recovery takes as long as the
/// sentinels' failover and no longer. One subscription per client, to one sentinel at a time
/// (the next one when it goes away).
final class RedisFailoverWatch: Sendable {
    private let sentinels: [StorageBackendConfig.RedisAddress]
    private let masterName: String
    private let connectTimeout: Duration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let moved: @Sendable () -> Void
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// `moved` runs on an event loop whenever the sentinels announce a new primary for `masterName`.
    init(
        sentinels: [StorageBackendConfig.RedisAddress], masterName: String, connectTimeout: Duration,
        eventLoopGroup: any EventLoopGroup, logger: Logger, moved: @escaping @Sendable () -> Void
    ) {
        self.sentinels = sentinels
        self.masterName = masterName
        self.connectTimeout = connectTimeout
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.moved = moved
    }

    /// Starts listening in the background; `stop()` ends it.
    func start() {
        task.withLock { task in
            guard task == nil else { return }
            task = Task { await self.listen() }
        }
    }

    func stop() async {
        let running = task.withLock { task in
            defer { task = nil }
            return task
        }
        running?.cancel()
        await running?.value
    }

    private func listen() async {
        while !Task.isCancelled {
            for sentinel in sentinels {
                do {
                    try await subscribe(to: sentinel)
                } catch {
                    logger.debug("no failover announcements from sentinel \(sentinel.host):\(sentinel.port): \(error)")
                }
                guard !Task.isCancelled else { return }
                // A sentinel that is gone: the next one, after a pause so a dead set of
                // sentinels is not asked in a tight loop.
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Subscribes on one sentinel and handles its messages until the connection ends.
    private func subscribe(to sentinel: StorageBackendConfig.RedisAddress) async throws {
        let (messages, continuation) = AsyncStream<RedisReply>.makeStream()
        let channel = try await ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(TimeAmount(connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RedisMessageHandler { continuation.yield($0) })
                }
            }
            .connect(host: sentinel.host, port: sentinel.port)
            .get()
        channel.closeFuture.whenComplete { _ in continuation.finish() }
        try await withTaskCancellationHandler {
            try await channel.writeAndFlush(RedisCommandEncoder.encode([Array("SUBSCRIBE".utf8), Array(Self.channel.utf8)])).get()
            for await message in messages {
                if let address = announcedPrimary(in: message) {
                    logger.notice("Redis Sentinel announced a failover of \(masterName) to \(address); reconnecting there")
                    moved()
                }
            }
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    static let channel = "+switch-master"

    /// `message +switch-master "<master name> <old ip> <old port> <new ip> <new port>"`, for our
    /// master name: the new primary's address.
    private func announcedPrimary(in message: RedisReply) -> String? {
        guard case .array(let parts?) = message, parts.count == 3,
            case .bulk(let kind?) = parts[0], kind == Array("message".utf8),
            case .bulk(let payload?) = parts[2]
        else { return nil }
        let fields = String(decoding: payload, as: UTF8.self).split(separator: " ")
        guard fields.count == 5, fields[0] == masterName else { return nil }
        return RedisConnection.Settings.endpoint(host: String(fields[3]), port: Int(fields[4]) ?? 0)
    }
}
