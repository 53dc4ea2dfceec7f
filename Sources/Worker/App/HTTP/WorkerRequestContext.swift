import Hummingbird
import NIOCore

/// What every request handler can see besides the request: the connection it came on.
package struct WorkerRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// The TCP peer, for the access log.
    package let remoteAddress: SocketAddress?

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// Request bodies over 1 MiB are refused with 413 before they are decoded.
    package static let maxUploadSize = 1 << 20
    package var maxUploadSize: Int { Self.maxUploadSize }
}
