import ArgumentParser
import Foundation
import Logging
import SharedKeys
import SharedPlatform
import SharedStorage

/// `oauth2-server rotate-keys`: one step of the staged rotation of the ID token signing keys,
/// for every algorithm in use. The first run publishes a next key (in the JWKS, not signing);
/// each later run makes the published next key the signing key, retires the old one (it stays
/// in the JWKS until every token it signed has expired) and publishes a new next key.
struct RotateKeys: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-keys",
        abstract: "Publish a new next signing key, and make the one published before it sign.",
        discussion: """
            Works on the keys storage group, shared by every host. A next key must have been \
            published for auth_server.key_staging_seconds before it may sign, so relying parties \
            have fetched it. Reload the server afterwards (SIGHUP) for its workers to use the \
            change at once; they notice it by themselves within a minute.
            """
    )

    func run() throws {
        ServerLogHandler.bootstrap(role: "rotate-keys")
        let logger = Logger(label: "oauth2.rotate-keys")
        let config: ServerConfig
        let clients: ClientRegistry
        do throws(ConfigError) {
            config = try ServerConfig.load(from: .fromEnvironment())
            clients = try ClientRegistry.load(path: config.clientCredentials.file)
        } catch {
            for problem in error.problems { Self.say("\(problem)") }
            throw ExitCode(ExitCodes.startupFailure)
        }
        if config.authServer.keysSecret == nil { Self.say("warning: \(KeysSecretWarning.text)") }
        let auth = config.authServer
        let set: SigningKeySet
        do {
            try BlockingAsync.run { try await StorageMigrator.migrate(config.storage, logger: logger) }
            set = try BlockingAsync.value {
                let storage = try await StorageRegistry.open(config.storage, logger: logger)
                return try await storage.whileRunning { storage in
                    try await storage.signingKeys(auth).rotate(
                        clients.signingAlgorithms, staging: Int64(auth.keyStagingSeconds) * 1000,
                        retention: Int64(config.retiredKeyRetentionSeconds(clients: clients)) * 1000)
                }
            }
        } catch {
            Self.say("not rotated: \(error)")
            throw ExitCode(ExitCodes.startupFailure)
        }
        for algorithm in clients.signingAlgorithms.sorted() {
            let keys = set.keys.filter { $0.algorithm == algorithm }
            func kids(_ state: SigningKey.State) -> String {
                let found = keys.filter { $0.state == state }.map(\.kid)
                return found.isEmpty ? "none" : found.joined(separator: ", ")
            }
            print("\(algorithm.rawValue): signing \(kids(.current)); next \(kids(.next)); retired \(kids(.retired))")
        }
        print("key set version \(set.version) stored; reload the server (SIGHUP) to use it now, or workers pick it up within \(auth.keyRefreshSeconds) s")
    }

    private static func say(_ line: String) {
        FileHandle.standardError.write(Data("\(line)\n".utf8))
    }
}
