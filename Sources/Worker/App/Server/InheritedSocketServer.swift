import HummingbirdCore
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import ServiceLifecycle

/// Serves HTTP on a listening socket the supervisor opened, as a ServiceLifecycle service.
///
/// Hummingbird's own server always binds an address; a prefork worker must accept on the
/// socket it inherited instead, so this mirrors HummingbirdCore's `Server` on
/// `ServerBootstrap.bind(_ socket:)`. On graceful shutdown it stops accepting at once and
/// lets open connections finish their in-flight requests.
struct InheritedSocketServer<ChildChannel: ServerChildChannel>: Service {
    /// Between "stop accepting" and "close idle connections": a connection accepted an instant
    /// before the stop has not sent its request yet, and closing it then would reset it.
    static var firstRequestGrace: TimeAmount { .milliseconds(750) }

    let descriptor: Int32
    let childChannel: ChildChannel
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    /// Runs once the socket is registered and accepting.
    let onAccepting: @Sendable () async -> Void

    func run() async throws {
        let quiescing = ServerQuiescingHelper(group: eventLoopGroup)
        let childChannel = self.childChannel
        let logger = self.logger
        let server = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .bind(descriptor) { channel in
                childChannel.setup(channel: channel, logger: logger)
            }

        let executors = EventLoopTaskExecutor.PerLoop(eventLoopGroup)
        await withGracefulShutdownHandler {
            await onAccepting()
            await withDiscardingTaskGroup { group in
                do {
                    try await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            group.addTask(executorPreference: executors[connection.channel.eventLoop]) {
                                await childChannel.handle(value: connection, logger: logger)
                            }
                        }
                    }
                } catch {
                    logger.error("accepting connections failed: \(error)")
                }
            }
        } onGracefulShutdown: {
            // The other workers keep accepting on the shared socket; this one stops calling
            // accept() now (closing the server channel instead would drop connections still being
            // set up), and quiesces its connections (idle ones close, busy ones after their
            // response) once just-accepted ones have had time to send their request.
            let channel = server.channel
            channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in
                channel.eventLoop.scheduleTask(in: Self.firstRequestGrace) {
                    quiescing.initiateShutdown(promise: nil)
                }
            }
        }
    }
}
