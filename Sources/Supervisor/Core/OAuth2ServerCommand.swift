import ArgumentParser
import Foundation
import Logging
import SharedKeys
import SharedPlatform
import SharedStorage

/// `oauth2-server`: the supervisor's command line.
package struct OAuth2ServerCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "oauth2-server",
        abstract: "An OAuth 2.0 authorization server for an existing website.",
        discussion: """
            Configuration is read from $OAUTH2_CONFIG_DIR (or $NODE_CONFIG_DIR, or ./etc): default.json, \
            then $OAUTH2_ENV.json (or $NODE_ENV.json, or development.json), then runtime.json.
            """,
        version: OAuth2ServerVersion.current,
        subcommands: [Run.self, CheckConfig.self, HashSecret.self, RotateKeys.self, ConfigReference.self],
        defaultSubcommand: Run.self
    )

    package init() {}
}

/// Runs the supervisor in the foreground until SIGTERM or SIGINT.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the server (the default): the supervisor and its workers, in the foreground.",
        discussion: "Signals: HUP reloads the configuration, TTIN/TTOU add or remove a worker, TERM/INT stop gracefully."
    )

    func run() throws {
        ServerLogHandler.bootstrap(role: "supervisor")
        let logger = Logger(label: "oauth2.supervisor")
        // First, before any thread exists, so every thread inherits the blocked signals.
        let signals: SignalReceiver
        do {
            signals = try SignalReceiver()
        } catch {
            logger.critical("\(error)")
            throw ExitCode(ExitCodes.startupFailure)
        }

        let location = ConfigLocation.fromEnvironment()
        let config: ServerConfig
        do {
            config = try ServerConfig.load(from: location)
        } catch {
            for problem in error.problems { logger.critical("configuration: \(problem)") }
            throw ExitCode(ExitCodes.startupFailure)
        }
        LogSettings.shared.apply(config.logging)
        for warning in config.warnings { logger.warning("configuration: \(warning)") }
        if config.authServer.keysSecret == nil { logger.warning("configuration: \(KeysSecretWarning.text)") }
        do {
            let clients = try ClientRegistry.load(path: config.clientCredentials.file)
            for warning in clients.warnings { logger.warning("\(warning)") }
            let demo = DemoSettings.findings(config: config, clients: clients)
            if DemoSettings.isProduction(location), !demo.isEmpty {
                for problem in demo { logger.critical("not for production: \(problem)") }
                throw ExitCode(ExitCodes.startupFailure)
            }
            for problem in demo { logger.warning("demo setting: \(problem)") }
        } catch let error as ConfigError {
            for problem in error.problems { logger.critical("clients: \(problem)") }
            throw ExitCode(ExitCodes.startupFailure)
        }
        do {
            try BlockingAsync.run { try await StorageMigrator.migrate(config.storage, logger: logger) }
        } catch {
            logger.critical("cannot prepare storage: \(error)")
            throw ExitCode(ExitCodes.startupFailure)
        }

        let arbiter: Arbiter
        do {
            arbiter = try Arbiter(config: config, location: location, processes: try SystemProcessControl(signals: signals), logger: logger)
        } catch {
            logger.critical("\(error)")
            throw ExitCode(ExitCodes.startupFailure)
        }
        let code = arbiter.run()
        if code != ExitCodes.success { throw ExitCode(code) }
    }
}

/// Validates the configuration like `nginx -t`: every problem with its file and key, exit 1 if
/// any. It runs every check a worker runs before it serves (`ServerConfig`, `BootChecks`), so a
/// configuration it passes is one the workers boot with.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check the configuration files and exit: 0 when valid, 1 with every problem listed.",
        discussion: """
            Checks what every worker checks at boot: every key's type and range, the resource \
            server's type and options, the storage groups, the clients file, the page templates and \
            the TLS certificate and key. Keys nothing reads are warnings (errors with --strict).
            """
    )

    @Flag(help: "Treat keys nothing reads and storage groups nothing uses as errors, not warnings.")
    var strict = false

    @Flag(help: "Also connect to every store the storage groups name and to the site, and say which answered.")
    var connect = false

    func run() throws {
        let location = ConfigLocation.fromEnvironment()
        let config: ServerConfig
        do throws(ConfigError) {
            config = try ServerConfig.load(from: location)
            // Every problem at once: unknown keys under --strict, the boot checks', and the demo
            // settings of a production run.
            var problems: [ConfigProblem] = strict ? config.warnings : []
            if !strict { for warning in config.warnings { Self.say("warning: \(warning)") } }
            var checked: BootChecks?
            do { checked = try BootChecks.runBlocking(config: config) } catch { problems += error.problems }
            for warning in checked?.clients.warnings ?? [] { Self.say("warning: \(warning)") }
            // Without a usable clients file, the demo settings are still looked for everywhere else.
            let clients = if let checked { checked.clients } else { try ClientRegistry(path: config.clientCredentials.file, value: .array([])) }
            let demo = DemoSettings.findings(config: config, clients: clients)
            if DemoSettings.isProduction(location) {
                problems += demo.map { ConfigProblem(file: $0.file, key: $0.key, message: "not for production: \($0.message)") }
            } else {
                for problem in demo { Self.say("warning: demo setting: \(problem)") }
            }
            guard problems.isEmpty else { throw ConfigError(problems) }
            print("clients OK (\(clients.clients.count) in \(clients.path))")
            print("page templates OK (\(config.authServer.viewsDirectory))")
            if config.authServer.ssl { print("TLS certificate and key OK") }
            let files = config.document.layers.map(\.path)
            print("configuration OK (\(files.isEmpty ? "no files found in \(location.directory); built-in defaults" : files.joined(separator: ", ")))")
        } catch {
            for problem in error.problems { Self.say("\(problem)") }
            Self.say("configuration check failed: \(error.problems.count) problem(s)")
            throw ExitCode(ExitCodes.startupFailure)
        }
        guard connect else { return }
        let outcomes = try BlockingAsync.value { await ConnectionCheck.run(config: config, logger: Logger(label: "oauth2.check-config")) }
        for outcome in outcomes { print(outcome) }
        let silent = outcomes.filter { $0.failure != nil }.count
        guard silent == 0 else {
            Self.say("connection check failed: \(silent) of \(outcomes.count) did not answer")
            throw ExitCode(ExitCodes.startupFailure)
        }
    }

    private static func say(_ line: String) {
        FileHandle.standardError.write(Data("\(line)\n".utf8))
    }
}

/// Makes a client secret and the value to store for it in the clients file.
struct HashSecret: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-secret",
        abstract: "Hash a client secret for the clients file (a new random secret unless --stdin gives one).",
        discussion: """
            Prints the secret to give the client (once; it is not stored) and the client_secret \
            value for the clients file. Existing SHA-1 entries of the Node original keep working.
            """
    )

    @Option(name: .customLong("client-id"), help: "The client_id the secret belongs to.")
    var clientID: String

    @Flag(help: "Read the secret from standard input instead of generating one (not from the command line, where ps would show it).")
    var stdin = false

    func validate() throws {
        guard !clientID.isEmpty else { throw ValidationError("--client-id must not be empty") }
    }

    func run() throws {
        let secret: String
        if stdin {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw ValidationError("no secret on standard input")
            }
            if line.count < 32 {
                FileHandle.standardError.write(Data("warning: a secret shorter than 32 characters is easy to guess; prefer a generated one\n".utf8))
            }
            secret = line
        } else {
            secret = Base64URL.random(bytes: 32)
            print("secret for the client (shown once, not stored): \(secret)")
        }
        let stored = ClientSecret.hash(secret: secret, clientID: clientID).stored
        print("clients file entry: \"client_id\": \"\(clientID)\", \"client_secret\": \"\(stored)\"")
    }
}
