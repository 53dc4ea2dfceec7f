import Foundation
import SharedPlatform
import TestSupport
import Testing
import WorkerApp

/// The OpenID Connect claims a site's login gives: `resource_server.claims` for the http site
/// (checked like every key), the first name and e-mail username for the dummy site.
@Suite(.serialized)
struct SiteClaimsTests {
    private func config(_ resourceServer: String) throws(ConfigError) -> ServerConfig {
        let document = ConfigDocument(
            location: .init(directory: "/tmp", environmentName: "test"),
            merged: try! JSONValue.parse(Data(#"{"auth_server": {"session_secret": "s"}, "resource_server": \#(resourceServer)}"#.utf8)),
            origin: "test.json")
        return try ServerConfig(document: document)
    }

    @Test func theHTTPSiteMapsLoginFieldsToClaims() async throws {
        let example = try await ExampleSiteProcess()
        let config = try config("""
            {"type": "http", "host": "127.0.0.1", "port": \(example.port), "basic_auth": "gateway:s3cret",
             "login": {"path": "/session", "username_field": "email", "token_cookie": "remember_me"},
             "claims": {"given_name": "firstName", "email": "email", "family_name": "lastName"}}
            """)
        let http = SiteHTTPClient(config: config.resourceServer)
        let site = ResourceServerTypes.make(config: config, http: http)
        guard case .success(let user) = try await site.login(username: "bob@example.com", password: "hunter2", clientAddress: "203.0.113.7")
        else {
            Issue.record("login failed")
            await http.shutdown()
            return
        }
        // A mapped field the answer does not have gives no claim.
        #expect(site.claims(of: user) == ["given_name": "Bob", "email": "bob@example.com"])
        await http.shutdown()
    }

    @Test func anUnknownClaimIsAConfigurationErrorNamingItsKey() {
        do {
            _ = try config(#"{"type": "http", "login": {"token_cookie": "c"}, "claims": {"favourite_colour": "colour"}}"#)
            Issue.record("an unknown claim was accepted")
        } catch {
            #expect(error.problems.contains { $0.description.contains("resource_server.claims.favourite_colour") }, "\(error.problems)")
        }
    }
}
