import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import SharedStorage

/// How each accepted connection is served: TLS when `auth_server.ssl` is on, the connection's
/// deadlines, NIO's HTTP/1.1 codec, and `HTTPRequestHandler` running the router.
struct HTTPServing: Sendable {
    let responder: HTTPRequestHandler.Responder
    let timeouts: ConnectionTimeouts
    let tls: NIOSSLContext?
    /// Request bodies over this are answered 413 (`WorkerRequestContext.maxUploadSize`).
    let maxBodyBytes: Int

    /// Adds the connection's handlers; runs on its event loop as it is accepted.
    func configure(_ channel: any Channel, executor: EventLoopTaskExecutor?, silent: SilentConnections, logger: Logger) throws {
        let pipeline = channel.pipeline.syncOperations
        if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
        let deadlines = ConnectionDeadlines(timeouts: timeouts)
        try pipeline.addHandler(deadlines)
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: true,
            withErrorHandling: false,  // HTTPRequestHandler answers a request it cannot read
            withOutboundHeaderValidation: false  // swift-http-types validated the fields already
        )
        try pipeline.addHandler(silent.firstRequestWatch())
        try pipeline.addHandler(
            HTTPRequestHandler(
                responder: responder, executor: executor, deadlines: deadlines, secure: tls != nil, maxBodyBytes: maxBodyBytes, logger: logger))
    }

    /// Runs the router; every error becomes an answer, and every answer gets the headers all
    /// of them carry.
    /// - Parameter strictTransportSecurity: the server itself speaks TLS, so browsers are told
    ///   to use nothing else for this host (session cookies, consent pages).
    static func responder<Context: RequestContext>(
        for router: Router<Context>,
        logger: Logger,
        strictTransportSecurity: Bool = false
    ) -> HTTPRequestHandler.Responder where Context.Source == ApplicationRequestContextSource {
        let routes = router.buildResponder()
        let dates = HTTPDateCache()
        return { request, channel in
            let context = Context(source: .init(channel: channel, logger: logger))
            var response: Response
            do {
                response = try await routes.respond(to: request, context: context)
            } catch where clientMistakeStatus(error) != nil {
                logger.debug("unreadable request body for \(request.method) \(request.uri.path): \(error)")
                response =
                    error is NIOTooManyBytesError
                    ? OAuthResponses.payloadTooLarge(limit: context.maxUploadSize)
                    : OAuthResponses.error(.invalidRequest("the request body is malformed"))
            } catch {
                logger.error("unhandled error answering \(request.method) \(request.uri.path): \(error)")
                response = Response(status: .internalServerError)
            }
            response.headers[.date] = dates.current
            // Browsers must not guess a content type other than the one declared.
            response.headers[.xContentTypeOptions] = "nosniff"
            if strictTransportSecurity { response.headers[.strictTransportSecurity] = "max-age=31536000" }
            return response
        }
    }

    /// The status of an error the client caused while its request was read, if it was one: a
    /// body over the limit (413), or framing that broke (a chunk size that is not hex, a
    /// connection closed mid-body: 400). Anything else thrown out of a route is the server's.
    static func clientMistakeStatus(_ error: any Error) -> Int? {
        switch error {
        case is NIOTooManyBytesError: 413
        case is HTTPParserError: 400
        default: nil
        }
    }
}
