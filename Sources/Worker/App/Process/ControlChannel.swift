import Logging
import NIOCore
import NIOExtras
import NIOPosix
import SharedPlatform

/// The worker's end of its control socket: receives `ControlMessage`s from the supervisor and
/// sends heartbeats that prove every event loop of this worker still turns.
final class ControlChannel: Sendable {
    let channel: any Channel
    let messages: AsyncStream<ControlMessage>

    private init(channel: any Channel, messages: AsyncStream<ControlMessage>) {
        self.channel = channel
        self.messages = messages
    }

    /// Wraps the inherited descriptor. The stream ends when the supervisor closes its end
    /// (it exited or died), which the worker treats as an order to stop.
    static func open(
        descriptor: Int32,
        eventLoopGroup: any EventLoopGroup,
        heartbeatInterval: TimeAmount,
        logger: Logger
    ) async throws -> ControlChannel {
        let (messages, continuation) = AsyncStream.makeStream(of: ControlMessage.self)
        let channel = try await NIOPipeBootstrap(group: eventLoopGroup)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(LineBasedFrameDecoder()),
                        ControlMessageHandler(
                            continuation: continuation,
                            eventLoopGroup: eventLoopGroup,
                            heartbeatInterval: heartbeatInterval,
                            logger: logger
                        )
                    )
                }
            }
            .takingOwnershipOfDescriptor(inputOutput: descriptor)
            .get()
        return ControlChannel(channel: channel, messages: messages)
    }

    func send(_ message: ControlMessage) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: message.encodedLine()))
    }
}

/// Decodes lines into messages, and writes a heartbeat each interval once every event loop of
/// the group has run a probe task: a worker whose loop is stuck stops beating and is replaced.
private final class ControlMessageHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let continuation: AsyncStream<ControlMessage>.Continuation
    private let eventLoopGroup: any EventLoopGroup
    private let heartbeatInterval: TimeAmount
    private let logger: Logger
    private var heartbeat: RepeatedTask?

    init(
        continuation: AsyncStream<ControlMessage>.Continuation,
        eventLoopGroup: any EventLoopGroup,
        heartbeatInterval: TimeAmount,
        logger: Logger
    ) {
        self.continuation = continuation
        self.eventLoopGroup = eventLoopGroup
        self.heartbeatInterval = heartbeatInterval
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        let loops = Array(eventLoopGroup.makeIterator())
        let line = ByteBuffer(bytes: ControlMessage.heartbeat.encodedLine())
        heartbeat = context.eventLoop.scheduleRepeatedAsyncTask(initialDelay: .zero, delay: heartbeatInterval) { task in
            let probes = loops.map { $0.submit {} }
            return EventLoopFuture.andAllSucceed(probes, on: channel.eventLoop).flatMap {
                channel.writeAndFlush(line)
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        do {
            continuation.yield(try ControlMessage(line: line.readableBytesView))
        } catch {
            logger.error("ignoring a malformed control message: \(error)")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        heartbeat?.cancel()
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.warning("control channel error: \(error)")
        context.close(promise: nil)
    }
}
