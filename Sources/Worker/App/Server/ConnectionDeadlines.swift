import NIOCore

/// How long a connection may keep the worker waiting, by what it is doing.
struct ConnectionTimeouts: Sendable {
    /// Between requests on a keep-alive connection, and between reads of a request's body.
    var idle: TimeAmount
    /// From a request's first byte to the end of its headers, however slowly they trickle in
    /// (a slow-header, "slowloris", client).
    var requestHeader: TimeAmount
}

/// Closes a connection that keeps the worker waiting: idle too long between requests, or too
/// slow to send a request's headers (answered 408 first). It sees the connection's bytes ahead
/// of the HTTP decoder, so it knows when a request starts; `HTTPRequestHandler` tells it when the
/// headers are complete, when the request is, and when its answer is sent.
///
/// The connection has one deadline at a time and at most one timer. Moving the deadline later
/// (every request does) only sets a number: the timer, when it fires, finds the deadline has
/// moved and waits again. So a busy keep-alive connection schedules a timer about once per
/// timeout, not several times per request.
final class ConnectionDeadlines: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        /// Between requests: the idle timeout.
        case waiting
        /// A request has begun: the header timeout, however many bytes arrive.
        case head
        /// Reading a body: the idle timeout, from the last read.
        case body
        /// The request is complete and being answered: no timeout (storage calls bound themselves).
        case answering
    }

    private static let requestTimeout = ByteBuffer(
        string: "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")

    private let timeouts: ConnectionTimeouts
    private var phase = Phase.waiting
    private var deadline: NIODeadline?
    private var timer: (task: Scheduled<Void>, at: NIODeadline)?
    private var context: ChannelHandlerContext?

    init(timeouts: ConnectionTimeouts) { self.timeouts = timeouts }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { wait(timeouts.idle) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.task.cancel()
        timer = nil
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        wait(timeouts.idle)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch phase {
        case .waiting:
            phase = .head
            wait(timeouts.requestHeader)
        case .body:
            wait(timeouts.idle)
        case .head, .answering:
            break
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.task.cancel()
        timer = nil
        deadline = nil
        context.fireChannelInactive()
    }

    // MARK: - What the request handler reports

    func headReceived() {
        phase = .body
        wait(timeouts.idle)
    }

    func requestReceived() {
        phase = .answering
        deadline = nil
    }

    func answerSent() {
        phase = .waiting
        wait(timeouts.idle)
    }

    // MARK: - The timer

    private func wait(_ timeout: TimeAmount) {
        let deadline = NIODeadline.now() + timeout
        self.deadline = deadline
        if let timer, timer.at <= deadline { return }
        timer?.task.cancel()
        schedule(at: deadline)
    }

    private func schedule(at when: NIODeadline) {
        guard let context else { return }
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: when) { [self] in self.timerFired() }
        timer = (task, when)
    }

    private func timerFired() {
        timer = nil
        guard let deadline, let context else { return }
        if deadline > .now() {
            schedule(at: deadline)
            return
        }
        self.deadline = nil
        if phase == .head {
            context.writeAndFlush(wrapOutboundOut(Self.requestTimeout), promise: nil)
        }
        context.close(promise: nil)
    }
}
