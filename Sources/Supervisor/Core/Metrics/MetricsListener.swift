import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SharedPlatform

/// The supervisor's `GET /metrics` listener, on an event loop thread of its own: a scrape never
/// waits for the main loop, and the main loop (signals, reaping, heartbeats) never waits for a
/// scrape. Bound once at start (`auth_server.metrics`).
final class MetricsListener {
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    /// "host:port" as bound (the port is the real one when 0 was asked for).
    let address: String

    private init(group: MultiThreadedEventLoopGroup, channel: any Channel) {
        self.group = group
        self.channel = channel
        address = channel.localAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
    }

    /// Binds and starts serving `render()`'s text. Called from the main thread, after the
    /// signals are blocked, so the listener's thread inherits the block.
    static func start(host: String, port: Int, render: @escaping @Sendable () -> String, logger: Logger) throws -> MetricsListener {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let channel = try ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(MetricsRequestHandler(render: render, logger: logger))
                    }
                }
                .bind(host: host, port: port)
                .wait()
            return MetricsListener(group: group, channel: channel)
        } catch {
            try? group.syncShutdownGracefully()
            throw SupervisorError("cannot listen for metrics on \(host):\(port) (auth_server.metrics): \(error)")
        }
    }

    func close() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// Answers each request on a metrics connection: the text for `GET /metrics` (and HEAD), 404
/// for other paths, 405 for other methods.
private final class MetricsRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let render: @Sendable () -> String
    private let logger: Logger
    private var head: HTTPRequestHead?

    init(render: @escaping @Sendable () -> String, logger: Logger) {
        self.render = render
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let status: HTTPResponseStatus
        var body = ""
        var headers = HTTPHeaders()
        if path != "/metrics" {
            status = .notFound
        } else if head.method != .GET, head.method != .HEAD {
            status = .methodNotAllowed
            headers.add(name: "Allow", value: "GET, HEAD")
        } else {
            status = .ok
            body = render()
            headers.add(name: "Content-Type", value: PrometheusText.contentType)
        }
        let buffer = context.channel.allocator.buffer(string: body)
        headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
        let sent = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            sent.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("metrics connection: \(error)")
        context.close(promise: nil)
    }
}
