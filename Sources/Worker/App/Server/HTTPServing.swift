import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// Turns a router into the child channel the inherited-socket server runs: HTTP/1.1,
/// wrapped in TLS when `auth_server.ssl` is on.
enum HTTPServing {
    /// Connections idle this long are closed, so a slow or silent client cannot hold a worker's connection slot.
    static let idleTimeout: TimeAmount = .seconds(75)

    /// - Parameter strictTransportSecurity: the server itself speaks TLS, so browsers are told
    ///   to use nothing else for this host (session cookies, consent pages).
    static func responder<Context: RequestContext>(
        for router: Router<Context>,
        logger: Logger,
        strictTransportSecurity: Bool = false
    ) -> HTTPChannelHandler.Responder where Context.Source == ApplicationRequestContextSource {
        let routes = router.buildResponder()
        let dates = HTTPDateCache()
        return { request, responseWriter, channel in
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
            try await responseWriter.write(response: response.head, body: response.body)
        }
    }

    /// The status of an error the client caused while its body was read, if it was one: a
    /// body over the limit (413), or framing that broke (a chunk size that is not hex, a
    /// connection closed mid-body: 400). Anything else thrown out of a route is the server's.
    static func clientMistakeStatus(_ error: any Error) -> Int? {
        switch error {
        case is NIOTooManyBytesError: 413
        case is HTTPParserError: 400
        default: nil
        }
    }

    static func plainChannel(responder: @escaping HTTPChannelHandler.Responder) -> HTTP1Channel {
        HTTP1Channel(responder: responder, configuration: .init(idleTimeout: idleTimeout))
    }

    /// Reads the PEM certificate chain and key named by the config; a failure stops the worker from booting.
    static func tlsChannel(
        responder: @escaping HTTPChannelHandler.Responder,
        certificatePath: String,
        keyPath: String
    ) throws -> TLSChannel<HTTP1Channel> {
        let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        return try TLSChannel(plainChannel(responder: responder), tlsConfiguration: tls)
    }
}
