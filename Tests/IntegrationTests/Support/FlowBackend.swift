import Foundation
import TestSupport
import Testing

/// The storage setups the OAuth flows run on: the embedded default, and the production shape
/// (expiring things in Redis, users and the audit log in PostgreSQL) on the servers scripts/test starts.
enum FlowBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case embedded
    case redisAndPostgres

    var testDescription: String { rawValue }

    func overrides() throws -> [String: Any] {
        switch self {
        case .embedded:
            return [:]
        case .redisAndPostgres:
            let environment = ProcessInfo.processInfo.environment
            guard let redisPort = environment["OAUTH2_TEST_REDIS_PORT"].flatMap(Int.init),
                let postgresPort = environment["OAUTH2_TEST_POSTGRES_PORT"].flatMap(Int.init)
            else { throw TestFailure("OAUTH2_TEST_REDIS_PORT/OAUTH2_TEST_POSTGRES_PORT are not set: run the tests with scripts/test") }
            let redis: [String: Any] = ["type": "Redis", "host": "127.0.0.1", "port": redisPort, "db": 4]
            let postgres: [String: Any] = [
                "type": "Postgres",
                "options": ["host": "127.0.0.1", "port": postgresPort, "user": "postgres", "password": "", "database": "oauth2", "ssl": false],
            ]
            return ["storage": [
                "default": postgres, "users": postgres, "audit": postgres,
                "session": redis.merging(["ttl": 1800]), "codes": redis.merging(["ttl": 60]),
                "tokens": redis.merging(["ttl": 7200]), "refresh_tokens": redis.merging(["ttl": 7_776_000]),
            ]]
        }
    }
}

extension OAuthDriver {
    /// A driver for `server`, over real sockets.
    init(server: ServerProcess) {
        self.init(browser: Browser(server: server))
    }

    static func start(_ backend: FlowBackend, workers: Int = 2, overrides: [String: Any] = [:]) async throws -> ServerProcess {
        try await ServerProcess.start(workers: workers, overrides: backend.overrides().merging(overrides), clients: FlowClients.file)
    }
}
