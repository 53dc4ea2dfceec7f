import NIOCore
import SharedPlatform

/// Matches replies to commands on one Redis connection. Redis answers in the order it received
/// commands, so a FIFO of promises is all the bookkeeping pipelining needs. Lives on its
/// channel's event loop only.
final class RedisChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Command
    typealias OutboundOut = ByteBuffer

    /// An encoded command and the promise its reply completes.
    struct Command: Sendable {
        var bytes: ByteBuffer
        var reply: EventLoopPromise<RedisReply>
    }

    private struct PendingCommand {
        var reply: EventLoopPromise<RedisReply>
        var deadline: NIODeadline
    }

    private let endpoint: String
    private let commandTimeout: TimeAmount
    private var decoder = RedisReplyDecoder()
    private var pending = CircularBuffer<PendingCommand>()
    /// Set once the connection can no longer answer; from then on every command fails with it
    /// at once and `pending` stays empty.
    private var failure: RedisClientError?
    /// At most one timer, aimed at the oldest pending command: it is always the first to be late.
    private var timeoutCheck: Scheduled<Void>?
    /// A flush is queued on the event loop: commands written before it runs go out with it.
    private var flushQueued = false

    init(endpoint: String, commandTimeout: TimeAmount) {
        self.endpoint = endpoint
        self.commandTimeout = commandTimeout
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = unwrapOutboundIn(data)
        if let failure {
            command.reply.fail(failure)
            promise?.fail(failure)
            return
        }
        pending.append(PendingCommand(reply: command.reply, deadline: .now() + commandTimeout))
        if timeoutCheck == nil {
            scheduleTimeoutCheck(context: context)
        }
        context.write(wrapOutboundOut(command.bytes), promise: promise)
    }

    /// Flushes once per turn of the event loop, not once per command: the commands of requests
    /// the loop is serving at the same moment leave in one write (one system call, and Redis
    /// reads them in one go).
    func flush(context: ChannelHandlerContext) {
        guard !flushQueued else { return }
        flushQueued = true
        context.eventLoop.assumeIsolated().execute {
            self.flushQueued = false
            context.flush()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { try decoder.feed($0) }
            // Completing a promise runs its callbacks right here; one of them may close the
            // channel, so stop as soon as the connection has failed.
            while failure == nil, let reply = try decoder.nextReply() {
                guard let command = pending.popFirst() else {
                    throw RedisClientError(kind: .protocolError, message: "\(endpoint) sent a reply to no command")
                }
                command.reply.succeed(reply)
            }
        } catch {
            let error = error as? RedisClientError
                ?? RedisClientError(kind: .protocolError, message: "\(endpoint): \(error)")
            failAndClose(error, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(with: RedisClientError(kind: .unavailable, message: "connection to \(endpoint) closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAndClose(RedisClientError(kind: .unavailable, message: "connection to \(endpoint) failed: \(error)"), context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(with: RedisClientError(kind: .unavailable, message: "connection to \(endpoint) closed"))
    }

    private func scheduleTimeoutCheck(context: ChannelHandlerContext) {
        guard let oldest = pending.first else { return }
        timeoutCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: oldest.deadline) {
            self.checkTimeout(context: context)
        }
    }

    /// Runs when the command that was oldest at scheduling time should have been answered. If
    /// it was, aim at the command now oldest; otherwise the FIFO is stuck and the connection is
    /// useless: fail everything and close it.
    private func checkTimeout(context: ChannelHandlerContext) {
        timeoutCheck = nil
        guard let oldest = pending.first else { return }
        guard oldest.deadline <= .now() else {
            scheduleTimeoutCheck(context: context)
            return
        }
        let seconds = Double(commandTimeout.nanoseconds) / 1e9
        failAndClose(RedisClientError(kind: .timeout, message: "no reply from \(endpoint) within \(seconds) s"), context: context)
    }

    /// Closes the connection first, then fails the waiting commands: a caller woken by its
    /// failure must already find this connection inactive, or its next command would be handed
    /// the connection that is going away.
    private func failAndClose(_ error: RedisClientError, context: ChannelHandlerContext) {
        if failure == nil { failure = error }
        let waiting = pending
        pending.removeAll()
        context.close(promise: nil)
        for command in waiting { command.reply.fail(error) }
        failAll(with: error)
    }

    private func failAll(with error: RedisClientError) {
        if failure == nil {
            failure = error
        }
        timeoutCheck?.cancel()
        timeoutCheck = nil
        // Failing a promise may run callbacks that write again; they see `failure` and fail at once.
        while let command = pending.popFirst() {
            command.reply.fail(error)
        }
    }
}
