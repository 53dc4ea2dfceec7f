import Hummingbird
import NIOCore

/// What every request handler can see besides the request: the connection it came on.
public struct WorkerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer, for the access log.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// Request bodies over 1 MiB are refused with 413 before they are decoded.
    public static let maxUploadSize = 1 << 20
    public var maxUploadSize: Int { Self.maxUploadSize }
}
