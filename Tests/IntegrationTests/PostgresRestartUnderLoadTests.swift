import Foundation
import TestSupport
import Testing

extension IntegrationTests {
    /// PostgreSQL restarting under a running server, on loopback: every request is answered
    /// within the storage deadline and a margin (a 503 at worst, never a wait a load balancer
    /// gives up on), no worker dies, service comes back by itself, and every token answered has
    /// its audit record. Tokens live in Redis; the audit trail and the throttling budgets in
    /// PostgreSQL, as in deploy/multi-host.md.
    @Suite(.serialized)
    struct PostgresRestartUnderLoadTests {
        /// The storage deadline (3 s) with room for a loaded machine; HAProxy's own limit is 10 s.
        static let answerBound = Duration.seconds(6)

        enum Window {
            static let before = "before"
            static let restarting = "PostgreSQL restarting"
            static let after = "after PostgreSQL"
        }

        /// PostgreSQL stops (`fast`: it ends every session, idle ones too, and refuses new ones
        /// while it shuts down) and starts again, eight times under steady load. Each worker's
        /// pool loses its connections, fails to reopen them while the database is away, and must
        /// grow again once it is back, while requests keep coming: postgres-nio 1.33's pool
        /// trapped there when it kept a minimum of open connections, and the worker then answered
        /// nothing until the supervisor killed it (HAProxy's 504 in MultiHostTests).
        @Test func everyRequestIsAnsweredInTimeWhilePostgresRestarts() async throws {
            let (redis, postgres, server) = try await Self.start()
            // Redis stops when its process object goes: it lives until the server is stopped.
            defer { server.kill(); withExtendedLifetime(redis) {} }
            let workers = Set(server.workers)

            let load = SteadyLoad(baseURL: server.baseURL, lanes: 8, firstWindow: Window.before)
            try await load.whileRunning { try await Self.restartUnderLoad(postgres, server: server, load: load) }
            print("Requests during PostgreSQL restarts:\n\(load.table())")

            Self.expectAnsweredInTime(load.allOutcomes)
            let failed = load.allOutcomes.filter(\.failed)
            #expect(failed.allSatisfy { $0.window == Window.restarting }, "failures outside the restarts: \(failed.map { "\($0.window) \($0.status)" })")
            #expect(failed.allSatisfy { $0.status == 503 }, "503 or an answer, nothing else: \(failed.map(\.status))")
            #expect(Set(server.workers) == workers, "no worker died: \(workers) → \(Set(server.workers))")

            // The audit record is written beside the token: every token answered has one, and
            // a request refused may have left one (the record was written, the answer failed).
            let answered = load.tokens(answeredIn: Set(load.windows)).count
            let refused = load.allOutcomes.filter { $0.request == .token && $0.failed }.count
            let recorded = Int(try postgres.psql(
                "SELECT count(*) FROM oauth2_audit WHERE event = 'client_credentials' AND client_id = 'service'")) ?? -1
            #expect(recorded >= answered, "\(answered - recorded) tokens answered without an audit record")
            #expect(recorded <= answered + refused, "\(recorded) records for \(answered) tokens answered and \(refused) refused")
            #expect(await server.stop() == 0)
        }

        /// Redis, PostgreSQL, and a server with two workers keeping its tokens in the one and
        /// everything else in the other.
        private static func start() async throws -> (RedisServerProcess, PostgresServerProcess, ServerProcess) {
            let redis = try await RedisServerProcess()
            let postgres = try PostgresServerProcess()
            let redisGroup: [String: Any] = ["type": "Redis", "host": "127.0.0.1", "port": redis.port, "db": 0, "ttl": 7200]
            let postgresGroup: [String: Any] = [
                "type": "Postgres",
                "options": ["user": "postgres", "password": "", "database": "oauth2", "host": "127.0.0.1", "port": "\(postgres.port)", "ssl": false],
            ]
            let server = try await ServerProcess.start(
                workers: 2,
                overrides: [
                    "storage": [
                        "default": postgresGroup, "users": postgresGroup, "audit": postgresGroup, "keys": postgresGroup,
                        "session": redisGroup, "codes": redisGroup, "tokens": redisGroup, "refresh_tokens": redisGroup,
                    ],
                ],
                clients: FlowClients.file)
            return (redis, postgres, server)
        }

        private static func expectAnsweredInTime(_ outcomes: [SteadyLoad.Outcome]) {
            let slow = outcomes.filter { $0.elapsed > answerBound }
            #expect(slow.isEmpty, "\(slow.count) requests took longer than \(answerBound): \(slow.map { "\($0.request) \($0.status) after \($0.elapsed)" })")
        }

        private static func restartUnderLoad(_ postgres: PostgresServerProcess, server: ServerProcess, load: SteadyLoad) async throws {
            func settle(_ window: String, requests: Int) async {
                let enough = await eventually(timeout: .seconds(30)) { load.outcomes(in: window).count >= requests }
                #expect(enough, "\(window): only \(load.outcomes(in: window).count) requests in 30 s")
            }
            await settle(Window.before, requests: 40)
            for round in 1...8 {
                load.open(Window.restarting, fault: true)
                try postgres.stop(mode: "fast")
                #expect(await eventually(timeout: .seconds(10)) { load.outcomes(in: Window.restarting).contains { $0.status == 503 } },
                    "restart \(round): the outage shows as 503")
                try postgres.start()
                try await MultiHostTests.expectStorageHealthyOnEveryHost([server])
                load.open(Window.after)
                await settle(Window.after, requests: load.outcomes(in: Window.after).count + 40)
            }
        }
    }
}
