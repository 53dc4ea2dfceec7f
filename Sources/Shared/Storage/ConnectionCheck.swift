import Foundation
import Logging
import NIOCore
import NIOPosix
import SharedPlatform

/// `check-config --connect`: asks every store the storage groups name, and the site, whether it
/// answers, each once however many groups share it.
package enum ConnectionCheck {
    /// One thing asked, and its answer.
    package struct Outcome: Sendable, CustomStringConvertible {
        /// What was asked, e.g. `Redis 127.0.0.1:6379/1 (groups codes, tokens)`.
        package let target: String
        /// Nil when it answered (or was not asked); else why not.
        package let failure: String?
        /// Why it was not asked, when it was not.
        package var notAsked: String? = nil
        /// What the answer said, when there is more to it than that it came (which of
        /// PostgreSQL's hosts is the primary).
        package var answer: String? = nil

        package var description: String {
            if let notAsked { return "\(target): not asked: \(notAsked)" }
            if let failure { return "\(target): did not answer: \(failure)" }
            return "\(target): answered" + (answer.map { ": \($0)" } ?? "")
        }
    }

    static let limit = Duration.seconds(5)

    package static func run(config: ServerConfig, logger: Logger) async -> [Outcome] {
        var outcomes: [Outcome] = []
        for (backend, groups) in distinctBackends(config.storage) {
            let names = "(groups \(groups.map(\.rawValue).joined(separator: ", ")))"
            switch backend {
            case .redis(let options):
                outcomes.append(await ask("\(options.description) \(names)") {
                    // With sentinels this asks them for the primary and pings that, as workers do.
                    let client = RedisClient(options, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger, connectionCount: 1)
                    try await closing({ await client.shutdown() }) { _ = try await client.send("PING") }
                })
            case .postgres(let options):
                // The hosts in order, as workers ask them: the answer names the one that takes writes.
                outcomes.append(await askForAnswer("\(options.description) \(names)", { () async throws -> String? in
                    let locator = PostgresPrimaryLocator(options: options, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
                    return try await locator.locate().description
                }))
            case .sqlite(let path, _):
                outcomes.append(await ask("Sqlite \(path) \(names)") { try await openSQLite(path, logger: logger) })
            case .blackhole:
                break
            }
        }
        let site = config.resourceServer
        let target = "the site (resource_server) \(site.ssl ? "https" : "http")://\(site.host):\(site.port)"
        if case .dummy = site.site {
            // The server starts the dummy site itself: before it runs, nothing can answer there.
            outcomes.append(Outcome(target: target, failure: nil, notAsked: "the dummy site is started by the server itself"))
        } else {
            outcomes.append(await ask(target) { try await reach(host: site.host, port: site.port) })
        }
        return outcomes
    }

    /// Each backend once, with the groups that use it (connection settings only: `ttl` aside).
    private static func distinctBackends(_ storage: StorageConfig) -> [(StorageBackendConfig, [StorageGroup])] {
        var found: [(StorageBackendConfig, [StorageGroup])] = []
        for group in StorageGroup.allCases {
            let backend = storage.backend(for: group).withoutTTL
            if let index = found.firstIndex(where: { $0.0 == backend }) {
                found[index].1.append(group)
            } else {
                found.append((backend, [group]))
            }
        }
        return found
    }

    private static func ask(_ target: String, _ operation: @escaping @Sendable () async throws -> Void) async -> Outcome {
        await askForAnswer(target, { () async throws -> String? in
            try await operation()
            return nil
        })
    }

    /// `operation` answers with what the answer said, if there is more to say than that it came.
    private static func askForAnswer(_ target: String, _ operation: @escaping @Sendable () async throws -> String?) async -> Outcome {
        do {
            let answer = try await withTimeout(limit, on: MultiThreadedEventLoopGroup.singleton.next(), operation)
            return Outcome(target: target, failure: nil, answer: answer)
        } catch is TimedOut {
            return Outcome(target: target, failure: "no answer within \(limit.components.seconds) s")
        } catch {
            return Outcome(target: target, failure: "\(error)")
        }
    }

    /// Opens the file as the workers will, without creating it: a missing file is fine when its
    /// folder can take it (the supervisor creates it at start).
    private static func openSQLite(_ path: String, logger: Logger) async throws {
        guard FileManager.default.fileExists(atPath: path) else {
            let folder = (path as NSString).deletingLastPathComponent
            guard FileManager.default.isWritableFile(atPath: folder) else {
                throw CheckFailure(description: "the file does not exist and its folder \(folder) cannot be written")
            }
            return
        }
        let database = try await SQLiteDatabase.open(path: path, logger: logger)
        try await closing({ await database.close() }) { _ = try await database.rows("SELECT count(*) AS n FROM sqlite_master") }
    }

    /// A TCP connection to the site's host and port, closed at once.
    private static func reach(host: String, port: Int) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(3))
            .connect(host: host, port: port).get()
        try await channel.close()
    }

    struct CheckFailure: Error, CustomStringConvertible {
        let description: String
    }
}

extension StorageBackendConfig {
    /// The same store whatever the group's `ttl`.
    var withoutTTL: StorageBackendConfig {
        switch self {
        case .redis(var options):
            options.ttl = 0
            return .redis(options)
        case .postgres(let options): return .postgres(options.connectionKey)
        case .sqlite(let path, _): return .sqlite(path: path, ttl: 0)
        case .blackhole: return .blackhole
        }
    }
}
