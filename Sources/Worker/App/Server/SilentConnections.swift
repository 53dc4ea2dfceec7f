import NIOCore
import NIOHTTP1
import Synchronization

/// Counts the connections this worker accepted whose first request has not begun yet.
///
/// A graceful stop closes idle connections, and one accepted an instant before the stop is idle
/// only because its request is still on the way: closing it would reset a client that did
/// nothing wrong. So the stop waits for these, and only for these: with none open it closes the
/// idle ones at once, instead of always waiting out the longest a request may take to follow its
/// connection.
final class SilentConnections: Sendable {
    private let count = Atomic(0)

    /// None is waiting for its first request.
    var areNone: Bool { count.load(ordering: .acquiring) <= 0 }

    /// On the listening channel, ahead of NIO's accept handler: counts each connection as the
    /// worker accepts it, on the listening channel's loop, so once accepting is switched off
    /// there, every accepted connection has been counted.
    func acceptCounter() -> some ChannelInboundHandler & Sendable { AcceptCounter(silent: self) }

    /// On an accepted connection, behind the HTTP decoder and its pipelining handler: uncounts it
    /// at its first request's head, or at its close. Not at its first bytes: a head that came in
    /// two reads is not a request yet, and the stop would close the connection between them.
    func firstRequestWatch() -> some ChannelInboundHandler { FirstRequestWatch(silent: self) }

    fileprivate func accepted() { count.add(1, ordering: .releasing) }
    fileprivate func spoke() { count.subtract(1, ordering: .releasing) }
}

private final class AcceptCounter: ChannelInboundHandler, Sendable {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    let silent: SilentConnections

    init(silent: SilentConnections) { self.silent = silent }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        silent.accepted()
        context.fireChannelRead(data)
    }
}

private final class FirstRequestWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    let silent: SilentConnections
    private var counted = true

    init(silent: SilentConnections) { self.silent = silent }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        uncount()
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        uncount()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { uncount() }

    private func uncount() {
        guard counted else { return }
        counted = false
        silent.spoke()
    }
}
