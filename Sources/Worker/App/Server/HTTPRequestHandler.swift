import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import SharedStorage

/// Serves a connection's requests from NIO's pipeline: collects each request (its body up to
/// the upload limit), runs the router in a task on the connection's event loop, and writes the
/// answer in one flush.
///
/// It stands where Hummingbird's `HTTP1Channel` stood. That one bridges every request and answer
/// through `NIOAsyncChannel` (an async sequence in, an async writer out, each with its own
/// buffering and locks), which cost about as much again as NIO's own parsing and writing; the
/// router, middleware and routes are Hummingbird's, unchanged. Pipelined requests wait in NIO's
/// `HTTPServerPipelineHandler` until the answer before them has ended. It reads NIO's HTTP/1
/// parts itself (`HTTP1Conversion`) rather than behind swift-nio-extras' converting handler, which
/// cost a pipeline hop each way and a Foundation URL parse of every request's path.
final class HTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    /// The router and what every answer carries; never throws (errors become answers).
    typealias Responder = @Sendable (Request, any Channel) async -> Response

    private let responder: Responder
    private let executor: EventLoopTaskExecutor?
    private let deadlines: ConnectionDeadlines
    private let maxBodyBytes: Int
    private let logger: Logger

    /// Whether the connection is TLS: the requests' scheme.
    private let secure: Bool
    /// The request being read, until its end arrives.
    private var head: HTTPRequest?
    private var body: ByteBuffer?
    /// The body passed the limit and was answered 413; the rest of it is ignored.
    private var discarding = false
    /// A request's answer is being made.
    private var answering = false
    /// The client has finished sending (half-closed): close once the answer in hand is sent.
    private var inputClosed = false

    init(
        responder: @escaping Responder, executor: EventLoopTaskExecutor?, deadlines: ConnectionDeadlines, secure: Bool, maxBodyBytes: Int,
        logger: Logger
    ) {
        self.responder = responder
        self.secure = secure
        self.executor = executor
        self.deadlines = deadlines
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            deadlines.headReceived()
            body = nil
            discarding = false
            do {
                self.head = try HTTP1Conversion.request(head, secure: secure)
            } catch {
                // A method swift-http-types cannot represent.
                self.head = nil
                discarding = true
                write(Response(status: .badRequest), context: context, thenClose: true)
            }
        case .body(var chunk):
            guard head != nil else { return }
            let size = (body?.readableBytes ?? 0) + chunk.readableBytes
            if size > maxBodyBytes {
                // Answer now rather than read a body of any size to its end.
                head = nil
                body = nil
                discarding = true
                write(OAuthResponses.payloadTooLarge(limit: maxBodyBytes), context: context, thenClose: true)
            } else if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            deadlines.requestReceived()
            let request = Request(head: head, body: RequestBody(buffer: body ?? ByteBuffer()))
            self.head = nil
            body = nil
            respond(to: request, context: context, thenClose: head.headerFields[.connection]?.lowercased() == "close")
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // A client that hung up between requests, or in the middle of one, gets nothing
            // more; one waiting for its answer gets it first.
            inputClosed = true
            if !answering { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let status = HTTPServing.clientMistakeStatus(error), !discarding else {
            context.close(promise: nil)
            return
        }
        // Framing that broke: a chunk size that is not hex, headers that cannot be parsed.
        logger.debug("unreadable request on a connection: \(error)")
        let answer: Response =
            status == 413 ? OAuthResponses.payloadTooLarge(limit: maxBodyBytes)
            : head != nil ? OAuthResponses.error(.invalidRequest("the request body is malformed"))
            : Response(status: .badRequest)
        head = nil
        body = nil
        discarding = true
        write(answer, context: context, thenClose: true)
    }

    private func respond(to request: Request, context: ChannelHandlerContext, thenClose: Bool) {
        let responder = self.responder
        let channel = context.channel
        answer(context: context, thenClose: thenClose) { await responder(request, channel) }
    }

    /// An answer the handler makes itself (413, 400), written the same way.
    private func write(_ response: Response, context: ChannelHandlerContext, thenClose: Bool) {
        answer(context: context, thenClose: thenClose) { response }
    }

    /// Makes the answer in a task on the connection's loop, then writes it.
    private func answer(context: ChannelHandlerContext, thenClose: Bool, _ make: @escaping @Sendable () async -> Response) {
        answering = true
        let loop = context.eventLoop
        let handler = NIOLoopBound((self, context), eventLoop: loop)
        Task(executorPreference: executor) {
            let response = await make()
            let body = await CollectedBody.of(response)
            let send: @Sendable () -> Void = {
                let (handler, context) = handler.value
                handler.write(response.head, body: body, context: context, thenClose: thenClose)
            }
            // The task runs on the connection's loop, so this is normally a direct call.
            if loop.inEventLoop { send() } else { loop.execute(send) }
        }
    }

    private func write(_ head: HTTPResponse, body: [ByteBuffer], context: ChannelHandlerContext, thenClose: Bool) {
        answering = false
        let thenClose = thenClose || inputClosed
        guard context.channel.isActive else { return }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(head))), promise: nil)
        for buffer in body { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
        guard thenClose else {
            deadlines.answerSent()
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// A response body's buffers, collected: the routes' answers are small and whole, so they are
/// written with their head in one flush.
final class CollectedBody: ResponseBodyWriter {
    private(set) var buffers: [ByteBuffer] = []

    func write(_ buffer: ByteBuffer) async throws { buffers.append(buffer) }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}

    static func of(_ response: Response) async -> [ByteBuffer] {
        let collector = CollectedBody()
        do {
            try await response.body.write(collector)
        } catch {
            return []
        }
        return collector.buffers
    }
}
