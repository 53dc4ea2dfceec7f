import Foundation
import Logging
import NIOPosix
import SharedPlatform
import SharedStorage
import Synchronization
import TestSupport
import Testing

extension IntegrationTests {
    /// What the fast paths must not give up (issue: hot paths): under concurrent load on several
    /// workers, every answered token has its audit record (group commit batches records, never
    /// drops one), and a revocation is seen by every worker the moment it is answered.
    @Suite(.serialized)
    struct HotPathGuaranteeTests {
        @Test(arguments: FlowBackend.allCases)
        func everyTokenAnsweredUnderConcurrentLoadIsAudited(_ backend: FlowBackend) async throws {
            let server = try await OAuthDriver.start(backend, workers: 3)
            defer { server.kill() }
            let driver = OAuthDriver(server: server)
            let started = Date().storagePrecision
            let requests = 240
            // 24 clients at once, each request on a fresh connection, so all three workers serve them.
            let answered = try await withThrowingTaskGroup(of: [String].self) { group in
                for lane in 0..<24 {
                    group.addTask {
                        var tokens: [String] = []
                        for _ in stride(from: lane, to: requests, by: 24) {
                            let response = try await driver.post(
                                [("grant_type", "client_credentials")], basic: ("service", FlowClients.secrets["service"]!))
                            try #require(response.status == 200, "a token request failed: \(response.status) \(response.body)")
                            tokens.append(try #require(try OAuthDriver.json(response)["access_token"] as? String))
                        }
                        return tokens
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(answered.count == requests)
            #expect(Set(answered).count == requests, "every token is new")

            let events = try await AuditTrail.events(of: server, backend: backend, limit: 5000)
            let recorded = events.filter { $0.event == "client_credentials" && $0.clientID == "service" && $0.at >= started }
            #expect(recorded.count == requests, "one audit record for each token answered: \(recorded.count) of \(requests)")

            // And every answered token is live on whichever worker is asked.
            for token in answered.prefix(30) {
                let answer = try await driver.post([("token", token)], to: "/introspect", basic: ("service", FlowClients.secrets["service"]!))
                #expect(try OAuthDriver.json(answer)["active"] as? Bool == true)
            }
            #expect(await server.stop() == 0)
        }

        @Test(arguments: FlowBackend.allCases)
        func aRevocationIsImmediateOnEveryWorker(_ backend: FlowBackend) async throws {
            let server = try await OAuthDriver.start(backend, workers: 3)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            try await driver.signIn(OAuthDriver.newUser())
            let tokens = try await driver.exchange(try await driver.code())
            let access = try #require(tokens["access_token"] as? String)
            let refresh = try #require(tokens["refresh_token"] as? String)
            #expect(try await driver.api("profile", token: access).status == 200)

            // 12 lanes call the API on fresh connections (spread over the workers) while the
            // client revokes its refresh token, which ends the grant and with it the access token.
            let revokedAt = Revocation()
            let callsBefore = Counter()
            let calls = try await withThrowingTaskGroup(of: [(sentAfterRevocation: Bool, status: Int)].self) { group in
                for _ in 0..<12 {
                    group.addTask { [driver] in
                        var seen: [(Bool, Int)] = []
                        let deadline = ContinuousClock.now + .seconds(10)
                        while ContinuousClock.now < deadline {
                            let after = revokedAt.answered
                            let status = try await driver.api("profile", token: access).status
                            seen.append((after, status))
                            if !after { callsBefore.increment() }
                            if after, seen.filter(\.0).count >= 10 { break }
                        }
                        return seen
                    }
                }
                group.addTask { [driver] in
                    // Once every lane is calling, on average.
                    _ = await eventually { callsBefore.value >= 12 }
                    let revoked = try await driver.post(
                        [("token", refresh), ("token_type_hint", "refresh_token")], to: "/revoke", basic: ("test", "hunter2"))
                    try #require(revoked.status == 200)
                    revokedAt.markAnswered()
                    return []
                }
                return try await group.reduce(into: [(sentAfterRevocation: Bool, status: Int)]()) { $0 += $1 }
            }
            let after = calls.filter(\.sentAfterRevocation)
            #expect(after.count >= 12 * 10, "every lane kept calling after the revocation")
            #expect(after.allSatisfy { $0.status == 401 }, "a call sent after /revoke answered found the token alive: \(after.map(\.status))")
            #expect(calls.contains { !$0.sentAfterRevocation && $0.status == 200 }, "the token worked before")
            #expect(await server.stop() == 0)
        }
    }
}

/// When the revocation was answered, as the lanes of a test see it.
final class Revocation: Sendable {
    private let state = Mutex(false)
    var answered: Bool { state.withLock { $0 } }
    func markAnswered() { state.withLock { $0 = true } }
}

/// A running server's audit trail, read from the store it is configured with.
enum AuditTrail {
    static func events(of server: ServerProcess, backend: FlowBackend, limit: Int) async throws -> [AuditRecord] {
        switch backend {
        case .embedded:
            let stored = try await StoredTokens.open(for: server)
            let events = try await stored.auditEvents(limit: limit)
            await stored.close()
            return events
        case .redisAndPostgres:
            let port = try #require(ProcessInfo.processInfo.environment["OAUTH2_TEST_POSTGRES_PORT"].flatMap(Int.init))
            let database = PostgresDatabase(
                options: .init(host: "127.0.0.1", port: port, user: "postgres", password: "", database: "oauth2", ssl: false, ttl: 0),
                logger: Logger(label: "audit-trail"))
            return try await withThrowingTaskGroup(of: [AuditRecord]?.self) { group in
                group.addTask {
                    await database.run()
                    return nil
                }
                defer { group.cancelAll() }
                return try await PostgresAuditLog(group: "audit", database: database).recent(limit: limit)
            }
        }
    }
}
