import ArgumentParser
import NIOCore
import NIOHTTP1
import NIOPosix

/// The yardstick: a bare SwiftNIO HTTP/1.1 server that answers every request with a fixed,
/// token-shaped JSON body. It does what any server on this machine must do for a request
/// (accept, parse, write) and nothing else, so a ratio to it says how much the server itself costs.
struct BaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline", abstract: "Serve a fixed token-shaped JSON answer with bare SwiftNIO.")

    @Option(help: "The loopback port to listen on.") var port: Int
    @Option(help: "Event loops (threads).") var threads = 2

    func run() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(FixedAnswerHandler())
                }
            }
            .bind(host: "127.0.0.1", port: port).wait()
        print("baseline listening on 127.0.0.1:\(port)")
        try channel.closeFuture.wait()
    }
}

/// Answers every request, once its end has arrived, with the same body.
final class FixedAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let body = #"{"access_token":"q4QyY2s8dD0qgJ6pD5Y3mKwH1vXo7Zt9LcRbN2eFfUa","token_type":"Bearer","expires_in":7200,"scope":"read-only"}"#
    private var keepAlive = true
    private let buffer = ByteBuffer(string: FixedAnswerHandler.body)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(buffer.readableBytes))
            headers.add(name: "Cache-Control", value: "no-store")
            let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            if keepAlive {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                let written = context.eventLoop.makePromise(of: Void.self)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
                written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
        }
    }
}
