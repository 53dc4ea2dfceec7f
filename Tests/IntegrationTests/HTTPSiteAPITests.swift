import Foundation
import NIOHTTP1
import WorkerApp
import TestSupport
import Testing

extension IntegrationTests {
    /// `/api/*` proxied to a real site configured as resource_server.type "http".
    @Suite(.serialized)
    struct HTTPSiteAPITests {
        private func start(example: ExampleSiteProcess, sendTokenAs: String, name: String) async throws -> ServerProcess {
            try await ServerProcess.start(workers: 1, overrides: ["resource_server": example.resourceServer(sendTokenAs: sendTokenAs, name: name)])
        }

        @Test func functionsReachTheSiteWithTheUsersCookieAndTheGatewayCredential() async throws {
            let example = try await ExampleSiteProcess()
            let server = try await start(example: example, sendTokenAs: "cookie", name: "remember_me")
            defer { server.kill() }
            #expect(ProcessTable.children(of: server.pid, named: "dummy-resource-server").isEmpty, "no dummy site for type http")
            let tokens = try await StoredTokens.open(for: server)
            try await tokens.save(SiteUser(id: "42", siteToken: "tok-42"))
            let token = try await tokens.issue(scope: ["read-write"], userID: "42")

            let profile = try await TestHTTP.get("\(server.baseURL)/api/profile?fields=name", headers: [("Authorization", "Bearer \(token)")])
            #expect(profile.status == 200)
            #expect(profile.body.contains("\"email\": \"bob@example.com\""))
            #expect(profile.body.contains("\"fields\": [\"name\"]"), "the client's query string reaches the site")

            let avatar = try await TestHTTP.send(
                "\(server.baseURL)/api/update_avatar", method: .POST,
                headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "text/plain")], body: "new picture")
            #expect(avatar.status == 200)
            #expect(avatar.body.contains("\"path\": \"/user/42/avatar\""))
            #expect(avatar.body.contains("\"received\": \"new picture\""))
            #expect(avatar.body.contains("\"content_type\": \"text/plain\""))

            // A user whose site token the site no longer accepts gets the site's own 401.
            try await tokens.save(SiteUser(id: "7", siteToken: "stale"))
            let stale = try await tokens.issue(scope: ["read-only"], userID: "7")
            #expect(try await TestHTTP.get("\(server.baseURL)/api/profile", headers: [("Authorization", "Bearer \(stale)")]).status == 401)
            await tokens.close()
            #expect(await server.stop() == 0)
        }

        @Test func theSiteTokenCanTravelInAHeader() async throws {
            let example = try await ExampleSiteProcess()
            let server = try await start(example: example, sendTokenAs: "header", name: "X-Site-Token")
            defer { server.kill() }
            let tokens = try await StoredTokens.open(for: server)
            try await tokens.save(SiteUser(id: "42", siteToken: "tok-42"))
            let token = try await tokens.issue(scope: ["read-only"], userID: "42")
            #expect(try await TestHTTP.get("\(server.baseURL)/api/profile", headers: [("Authorization", "Bearer \(token)")]).status == 200)

            example.stop()
            let down = try await TestHTTP.get("\(server.baseURL)/api/profile", headers: [("Authorization", "Bearer \(token)")])
            #expect(down.status == 502)
            #expect(down.body.contains("\"error\":\"bad_gateway\""))
            await tokens.close()
            #expect(await server.stop() == 0)
        }
    }
}
