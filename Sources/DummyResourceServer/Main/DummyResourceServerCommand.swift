import ArgumentParser
import DummyResourceServerApp
import Hummingbird
import Logging
import SharedPlatform

/// `dummy-resource-server`: the command line of the stub "existing website" that demos and
/// tests log in to. One process, in the foreground, until SIGTERM or SIGINT.
@main
struct DummyResourceServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dummy-resource-server",
        abstract: "A stub of the existing website (the resource server), for demos and tests only.",
        discussion: """
            Any username logs in with the password "password". Tokens are signed, never stored, \
            and never expire: a restart with the same --secret keeps everyone logged in. \
            This is a stub: do not run it where real users can reach it.
            """
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on.")
    var port = 8084

    @Option(help: "debug, info, notice, warn, error or crit.")
    var logLevel = "notice"

    @Option(help: "The secret tokens are signed with. (default: a fixed development value)")
    var secret: String?

    func run() async throws {
        // First: log lines look like every other process's, tagged `resource-server[<pid>]`.
        ServerLogHandler.bootstrap(role: "resource-server")
        let logger = Logger(label: "resource-server")
        // Started by the supervisor: stop with it.
        guard SupervisorLink.stopWithSupervisor() else { return }
        guard let level = LogLevelName(configValue: logLevel) else {
            logger.critical(
                "unknown log level \"\(logLevel)\"; use one of \(LogLevelName.acceptedNames.joined(separator: ", "))")
            throw ExitCode.failure
        }
        LogSettings.shared.level = level.loggerLevel
        guard (0...65535).contains(port) else {
            logger.critical("--port must be between 0 and 65535, not \(port)")
            throw ExitCode.failure
        }
        if secret == nil {
            logger.warning("signing tokens with the built-in development secret; pass --secret outside a demo")
        }

        let site = DummySite(tokens: SiteTokenSigner(secret: secret ?? SiteTokenSigner.developmentSecret), logger: logger)
        let app = Application(
            router: site.buildRouter(),
            configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                logger.notice("listening on \(host):\(channel.localAddress?.port ?? port)")
            },
            logger: logger
        )
        do {
            try await app.runService()
        } catch {
            logger.critical("cannot serve on \(host):\(port): \(error)")
            throw ExitCode.failure
        }
        logger.notice("stopped")
    }
}
