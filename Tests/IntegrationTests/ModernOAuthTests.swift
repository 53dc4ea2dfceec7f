import Foundation
import NIOHTTP1
import SharedStorage
import TestSupport
import Testing

extension IntegrationTests {
    /// What current OAuth expects beyond the Node original: PKCE, public clients, client credentials,
    /// revocation, introspection, metadata, and refresh-token reuse detection with a grace window.
    @Suite(.serialized)
    struct ModernOAuthTests {
        @Test func withAGraceWindowAConcurrentRefreshGetsTheSamePair() async throws {
            let server = try await OAuthDriver.start(.embedded, workers: 2, overrides: ["auth_server": ["refresh_token_grace_seconds": 10]])
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            try await driver.signIn(OAuthDriver.newUser())
            let first = try await driver.exchange(try await driver.code())
            let old = try #require(first["refresh_token"] as? String)

            // Several instances of one client refresh the same token at once: one rotation, one pair.
            let client = driver
            let answers = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await client.post([("grant_type", "refresh_token"), ("refresh_token", old)], basic: ("test", "hunter2")) }
                }
                return try await group.reduce(into: [TestResponse]()) { $0.append($1) }
            }
            #expect(answers.allSatisfy { $0.status == 200 }, "\(answers.map(\.body))")
            let pairs = Set(try answers.map { try OAuthDriver.json($0)["refresh_token"] as? String ?? "" })
            #expect(pairs.count == 1, "concurrent refreshes never both rotate")
            let access = Set(try answers.map { try OAuthDriver.json($0)["access_token"] as? String ?? "" })
            #expect(access.count == 1)
            let newRefresh = try #require(pairs.first)
            #expect(try await driver.api("profile", token: try #require(access.first)).status == 200, "the grant lives on")

            // Once the new pair has been used, the old token coming back is theft again, grace or not.
            let next = try await driver.post([("grant_type", "refresh_token"), ("refresh_token", newRefresh)], basic: ("test", "hunter2"))
            #expect(next.status == 200)
            #expect(try await driver.post([("grant_type", "refresh_token"), ("refresh_token", old)], basic: ("test", "hunter2")).status == 400)
            #expect(try await driver.api("profile", token: try #require(try OAuthDriver.json(next)["access_token"] as? String)).status == 401)
            #expect(await server.stop() == 0)
        }

        @Test func withoutAGraceWindowConcurrentRefreshesRotateOnce() async throws {
            let server = try await OAuthDriver.start(.embedded, workers: 2)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            try await driver.signIn(OAuthDriver.newUser())
            let old = try #require(try await driver.exchange(try await driver.code())["refresh_token"] as? String)
            let client = driver
            let answers = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await client.post([("grant_type", "refresh_token"), ("refresh_token", old)], basic: ("test", "hunter2")) }
                }
                return try await group.reduce(into: [TestResponse]()) { $0.append($1) }
            }
            // Exactly one request took the token and rotated it: the audit trail has one "refresh".
            // The others found it taken; those that came once the rotation was recorded presented
            // a rotated-out token, which ends the grant (RFC 9700 4.14.2) and may take back even
            // the pair the rotation issued. So at most one 200, and only a grant that lives on
            // keeps it working.
            let stored = try await StoredTokens.open(for: server)
            let events = try await stored.auditEvents()
            await stored.close()
            #expect(events.filter { $0.event == "refresh" }.count == 1, "exactly one rotation: \(events.map(\.event))")
            let rotated = answers.filter { $0.status == 200 }
            #expect(rotated.count <= 1)
            for refused in answers where refused.status != 200 {
                #expect(refused.status == 400)
                #expect(try OAuthDriver.json(refused)["error"] as? String == "invalid_grant", "\(refused.body)")
            }
            let grantEnded = events.contains { $0.event == "refresh_reuse" }
            if let winner = rotated.first {
                let access = try #require(try OAuthDriver.json(winner)["access_token"] as? String)
                #expect(try await driver.api("profile", token: access).status == (grantEnded ? 401 : 200))
            } else {
                #expect(grantEnded && events.contains { $0.event == "tokens_withdrawn" }, "the one rotation was taken back by the grant's end")
            }
            #expect(try await driver.post([("grant_type", "refresh_token"), ("refresh_token", old)], basic: ("test", "hunter2")).status == 400,
                    "the old token is spent")
            #expect(await server.stop() == 0)
        }
    }
}
