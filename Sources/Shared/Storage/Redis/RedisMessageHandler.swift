import NIOCore

/// Hands every reply on a subscribed connection to `receive`, in order. Once a connection has
/// subscribed (`SUBSCRIBE`), what Redis sends answers no command: each reply is a message of
/// the channel, so there is no FIFO of promises to match, unlike `RedisChannelHandler`.
/// Unreadable bytes close the connection. Lives on its channel's event loop only.
final class RedisMessageHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private var decoder = RedisReplyDecoder()
    private let receive: @Sendable (RedisReply) -> Void

    init(receive: @escaping @Sendable (RedisReply) -> Void) {
        self.receive = receive
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { try decoder.feed($0) }
            while let reply = try decoder.nextReply() { receive(reply) }
        } catch {
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
