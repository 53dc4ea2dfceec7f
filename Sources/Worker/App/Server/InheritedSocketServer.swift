import Logging
import NIOCore
import NIOExtras
import NIOPosix
import ServiceLifecycle
import SharedStorage
import Synchronization

/// Serves HTTP on a listening socket the supervisor opened, as a ServiceLifecycle service.
///
/// A prefork worker must accept on the socket it inherited rather than bind an address, so
/// this runs NIO's `ServerBootstrap` on that descriptor, with a plain channel initializer per
/// connection (`HTTPServing.configure`): no task per connection, no async channel wrapper. On
/// graceful shutdown it stops accepting at once and lets open connections finish their
/// in-flight requests.
struct InheritedSocketServer: Service {
    /// Between "stop accepting" and "close idle connections", at most: how long a connection
    /// accepted an instant before the stop has to send its request (`SilentConnections`).
    static var firstRequestGrace: TimeAmount { .milliseconds(750) }
    /// How often the stop looks whether the silent connections have spoken.
    static var silenceCheck: TimeAmount { .milliseconds(5) }

    let descriptor: Int32
    let serving: HTTPServing
    let limiter: ConnectionLimiter
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    /// Runs once the socket is registered and accepting.
    let onAccepting: @Sendable () async -> Void

    func run() async throws {
        let quiescing = ServerQuiescingHelper(group: eventLoopGroup)
        let silent = SilentConnections()
        let (serving, limiter, logger) = (self.serving, self.limiter, self.logger)
        // The same executors as the storage clients' tasks use, when serving on NIO's shared loops.
        let executors = eventLoopGroup === MultiThreadedEventLoopGroup.singleton
            ? EventLoopTaskExecutor.ofSharedLoops : EventLoopTaskExecutor.PerLoop(eventLoopGroup)
        let server = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(quiescing.makeServerChannelHandler(channel: channel), silent.acceptCounter())
                }
            }
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    limiter.opened(channel)
                    try serving.configure(channel, executor: executors[channel.eventLoop], silent: silent, logger: logger)
                }
            }
            .withBoundSocket(descriptor)
            .get()

        // The service ends when its connections have drained after a shutdown, or when the
        // listening channel closes by itself; whichever comes first.
        let ended = server.eventLoop.makePromise(of: Void.self)
        let endOnce = Mutex(false)
        let end: @Sendable () -> Void = {
            if endOnce.withLock({ ended in defer { ended = true }; return !ended }) { ended.succeed() }
        }
        let drained = server.eventLoop.makePromise(of: Void.self)
        drained.futureResult.whenComplete { _ in end() }
        server.closeFuture.whenComplete { _ in
            if !limiter.isStopped { end() }
        }
        await withGracefulShutdownHandler {
            await onAccepting()
            try? await ended.futureResult.get()
        } onGracefulShutdown: {
            // The other workers keep accepting on the shared socket; this one stops calling
            // accept() now (closing the server channel instead would drop connections still being
            // set up), and quiesces its connections (idle ones close, busy ones after their
            // response) once just-accepted ones have sent their request or had the time to.
            limiter.stop()
            server.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in
                Self.whenSpoken(silent, on: server.eventLoop, until: .now() + Self.firstRequestGrace) {
                    quiescing.initiateShutdown(promise: drained)
                }
            }
        }
    }

    /// Runs `quiesce` once no accepted connection is silent any more, or at `deadline`.
    private static func whenSpoken(
        _ silent: SilentConnections, on loop: any EventLoop, until deadline: NIODeadline, quiesce: @escaping @Sendable () -> Void
    ) {
        guard silent.areNone || .now() >= deadline else {
            loop.scheduleTask(in: silenceCheck) { whenSpoken(silent, on: loop, until: deadline, quiesce: quiesce) }
            return
        }
        quiesce()
    }
}
