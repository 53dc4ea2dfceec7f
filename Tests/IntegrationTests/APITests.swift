import Foundation
import NIOHTTP1
import WorkerApp
import TestSupport
import Testing

extension IntegrationTests {
    /// `/api/*` against the real dummy site the supervisor starts: tokens, scopes, errors, CORS.
    @Suite(.serialized)
    struct APITests {
        /// Logs `username` in at the dummy site, as the login page will, and stores the user.
        private func siteUser(_ username: String, server: ServerProcess, tokens: StoredTokens) async throws -> SiteUser {
            let login = try await TestHTTP.send(
                "http://127.0.0.1:\(server.sitePort)/login", method: .POST,
                headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: "username=\(username)&password=password")
            try #require(login.status == 200)
            let cookie = try #require(login.header("Set-Cookie"))
            let token = String(cookie.split(separator: ";")[0].dropFirst("dummy-server-token=".count))
            let user = SiteUser(id: username, siteToken: token, profile: ["firstName": "bob"])
            try await tokens.save(user)
            return user
        }

        private func bearer(_ token: String) -> [(String, String)] { [("Authorization", "Bearer \(token)")] }

        @Test func scopedTokensReachTheFunctionsTheirScopeAllows() async throws {
            let server = try await ServerProcess.start(workers: 2)
            defer { server.kill() }
            #expect(await eventually { (try? await TestHTTP.get("http://127.0.0.1:\(server.sitePort)/healthcheck"))?.status == 200 })
            let tokens = try await StoredTokens.open(for: server)
            _ = try await siteUser("bob.smith@example.com", server: server, tokens: tokens)
            let readOnly = try await tokens.issue(scope: ["read-only"], userID: "bob.smith@example.com")
            let readWrite = try await tokens.issue(scope: ["read-write"], userID: "bob.smith@example.com")

            let profile = try await TestHTTP.get("\(server.baseURL)/api/profile", headers: bearer(readOnly))
            #expect(profile.status == 200)
            #expect(profile.body.contains("\"id\":\"bob.smith@example.com\""))
            #expect(profile.header("Access-Control-Allow-Origin") == "*")

            let denied = try await TestHTTP.get("\(server.baseURL)/api/update_avatar", headers: bearer(readOnly))
            #expect(denied.status == 403)
            #expect(denied.body.contains("\"error\":\"insufficient scope\""))
            #expect(denied.body.contains("\"success\":0"))
            #expect(denied.header("WWW-Authenticate")?.contains("error=\"insufficient_scope\"") == true)
            #expect(denied.header("Access-Control-Allow-Origin") == "*")

            let avatar = try await TestHTTP.get("\(server.baseURL)/api/update_avatar", headers: bearer(readWrite))
            #expect(avatar.status == 200)
            #expect(avatar.body == #"{"success":1}"#)
            // A higher scope covers the lower one.
            #expect(try await TestHTTP.get("\(server.baseURL)/api/profile", headers: bearer(readWrite)).status == 200)

            // The access log shows the token only by its ends.
            #expect(await server.waitForLog("GET /api/profile Bearer \(readOnly.prefix(4))..\(readOnly.suffix(4)) 200"))
            #expect(!server.log().contains(readOnly))
            await tokens.close()
            #expect(await server.stop() == 0)
        }

        @Test func missingBadExpiredAndMalformedTokensAndUnknownFunctions() async throws {
            let server = try await ServerProcess.start(workers: 1)
            defer { server.kill() }
            let tokens = try await StoredTokens.open(for: server)
            _ = try await siteUser("alice", server: server, tokens: tokens)

            let none = try await TestHTTP.get("\(server.baseURL)/api/profile")
            #expect(none.status == 401)
            #expect(none.header("WWW-Authenticate") == "Bearer realm=\"Users\"")

            let bad = try await TestHTTP.get("\(server.baseURL)/api/profile", headers: bearer("not-a-real-token"))
            #expect(bad.status == 401)
            #expect(bad.header("WWW-Authenticate") == "Bearer realm=\"Users\", error=\"invalid_token\"")
            #expect(bad.body.contains("\"success\":0"))

            let expired = try await tokens.issue(scope: ["read-write"], userID: "alice", expiresIn: -1)
            #expect(try await TestHTTP.get("\(server.baseURL)/api/profile", headers: bearer(expired)).status == 401)

            let malformed = try await TestHTTP.get("\(server.baseURL)/api/profile", headers: [("Authorization", "Bearer a b\"c")])
            #expect(malformed.status == 400)
            #expect(malformed.header("WWW-Authenticate")?.contains("invalid_request") == true)

            let good = try await tokens.issue(scope: ["read-write"], userID: "alice")
            let unknown = try await TestHTTP.get("\(server.baseURL)/api/launch_missiles", headers: bearer(good))
            #expect(unknown.status == 404)
            #expect(unknown.body.contains("\"error\":\"no such function\""))
            #expect(unknown.body.contains("\"success\":0"))
            // Without a valid token the API does not say which functions exist.
            #expect(try await TestHTTP.get("\(server.baseURL)/api/launch_missiles").status == 401)

            // A token for a client alone (no user) cannot call a function that acts for a user.
            let clientOnly = try await tokens.issue(scope: ["read-write"], userID: nil)
            #expect(try await TestHTTP.get("\(server.baseURL)/api/profile", headers: bearer(clientOnly)).status == 403)
            await tokens.close()
            #expect(await server.stop() == 0)
        }

        @Test func preflightAllowsTheRequestedMethodAndHeaders() async throws {
            let server = try await ServerProcess.start(workers: 1)
            defer { server.kill() }
            let preflight = try await TestHTTP.send(
                "\(server.baseURL)/api/update_avatar", method: .OPTIONS,
                headers: [("Origin", "https://client.example"), ("Access-Control-Request-Method", "POST"),
                          ("Access-Control-Request-Headers", "authorization, content-type")])
            #expect(preflight.status == 200)
            #expect(preflight.header("Access-Control-Allow-Origin") == "*")
            let methods = preflight.header("Access-Control-Allow-Methods")?.uppercased() ?? ""
            #expect(methods.contains("POST") && methods.contains("GET"))
            let headers = preflight.header("Access-Control-Allow-Headers")?.lowercased() ?? ""
            #expect(headers.contains("authorization") && headers.contains("content-type"))
            #expect(await server.stop() == 0)
        }

        @Test func aSiteThatIsDownOrStuckGivesACleanGatewayError() async throws {
            let server = try await ServerProcess.start(workers: 1, overrides: ["resource_server": ["timeout": 1]])
            defer { server.kill() }
            let tokens = try await StoredTokens.open(for: server)
            _ = try await siteUser("carol", server: server, tokens: tokens)
            let token = try await tokens.issue(scope: ["read-only"], userID: "carol")
            let site = try #require(ProcessTable.children(of: server.pid, named: "dummy-resource-server").first)

            // Stuck: no answer within resource_server.timeout.
            kill(site, SIGSTOP)
            let started = ContinuousClock.now
            let stuck = try await TestHTTP.get("\(server.baseURL)/api/profile", headers: bearer(token))
            #expect(stuck.status == 504)
            #expect(stuck.body.contains("\"success\":0"))
            #expect(ContinuousClock.now - started < .seconds(5))
            kill(site, SIGCONT)
            #expect(try await TestHTTP.get("\(server.baseURL)/api/profile", headers: bearer(token)).status == 200)

            // Down: the supervisor restarts a site that dies at once, and one that dies again
            // within a second only after a backoff (2 s). In that window it is really down, and
            // clients get a clean 502, never a hang or a 500.
            kill(site, SIGKILL)
            #expect(await server.waitForLog("dummy-resource-server (pid \(site)) died"))
            var replacement: pid_t?
            #expect(await eventually {
                replacement = ProcessTable.children(of: server.pid, named: "dummy-resource-server").first { $0 != site }
                return replacement != nil
            })
            kill(try #require(replacement), SIGKILL)
            #expect(await server.waitForLog("dummy-resource-server (pid \(replacement!)) died"))
            let died = try #require(server.logLines(containing: "dummy-resource-server (pid \(replacement!)) died").first)
            let backoff = try #require(died.firstMatch(of: #/restarting it in (\d+) ms/#).flatMap { Int($0.1) })
            try #require(backoff >= 500, "the site is down for a while: \(died)")
            let down = try await TestHTTP.get("\(server.baseURL)/api/profile", headers: bearer(token))
            #expect(down.status == 502)
            #expect(down.body.contains("\"error\":\"bad_gateway\""), "\(down.body)")
            #expect(down.body.contains("\"success\":0"))
            // Up again after the backoff: served as before.
            #expect(await eventually {
                (try? await TestHTTP.get("\(server.baseURL)/api/profile", headers: bearer(token)))?.status == 200
            })
            await tokens.close()
            #expect(await server.stop() == 0)
        }
    }
}
