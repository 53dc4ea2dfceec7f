import Hummingbird
import HummingbirdAuth
import NIOCore

/// What every request handler can see besides the request: the connection it came on and, on
/// the back channel, the client that authenticated.
package struct WorkerRequestContext: AuthRequestContext {
    package var coreContext: CoreRequestContextStorage
    /// The TCP peer, for the access log.
    package let remoteAddress: SocketAddress?
    /// Set by `ClientAuthenticationMiddleware`; routes behind it read it as `ClientRequestContext`.
    package var identity: AuthenticatedClientRequest?

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// Request bodies over 1 MiB are refused with 413 before they are decoded.
    package static let maxUploadSize = 1 << 20
    package var maxUploadSize: Int { Self.maxUploadSize }
}
