import Foundation
import SharedPlatform
import TestSupport
import Testing
import WorkerApp

/// The configuration-driven "http" site type against a real small website (example_site.py):
/// a login that sets a cookie, one that returns a JSON token, HTTP Basic auth in front of both.
@Suite(.serialized, .startsServers)
struct HTTPSiteTests {
    private func site(_ resourceServer: String) throws -> (any ResourceServer, SiteHTTPClient) {
        let document = ConfigDocument(
            location: .init(directory: "/tmp", environmentName: "test"),
            merged: try JSONValue.parse(Data(#"{"auth_server": {"session_secret": "s"}, "resource_server": \#(resourceServer)}"#.utf8)),
            origin: "test.json")
        let config = try ServerConfig(document: document)
        let http = SiteHTTPClient(config: config.resourceServer)
        return (ResourceServerTypes.make(config: config, http: http), http)
    }

    @Test func loginReadsTheSiteTokenFromACookie() async throws {
        let example = try await ExampleSiteProcess()
        let (site, http) = try site("""
            {"type": "http", "host": "127.0.0.1", "port": \(example.port), "basic_auth": "gateway:s3cret",
             "login": {"path": "/session", "username_field": "email", "token_cookie": "remember_me"}}
            """)
        #expect(try await site.login(username: "bob@example.com", password: "hunter2", clientAddress: "203.0.113.7")
            == .success(SiteUser(id: "42", siteToken: "tok-42", profile: ["id": "42", "firstName": "Bob", "email": "bob@example.com"])))
        #expect(try await site.login(username: "bob@example.com", password: "wrong", clientAddress: "203.0.113.7") == .rejected(message: "Wrong username or password."))
        await http.shutdown()
    }

    @Test func loginReadsTheSiteTokenFromAJSONField() async throws {
        let example = try await ExampleSiteProcess()
        let (site, http) = try site("""
            {"type": "http", "host": "127.0.0.1", "port": \(example.port), "basic_auth": "gateway:s3cret",
             "login": {"path": "/api-login", "username_field": "email", "token_field": "token"}}
            """)
        guard case .success(let user) = try await site.login(username: "bob@example.com", password: "hunter2", clientAddress: "203.0.113.7") else {
            Issue.record("login failed")
            return
        }
        #expect(user.id == "42")
        #expect(user.siteToken == "tok-42")
        #expect(user.profile["token"] == nil, "the site token is not kept among display fields")
        await http.shutdown()
    }

    @Test func withoutTheGatewayCredentialTheSiteIsUnusable() async throws {
        let example = try await ExampleSiteProcess()
        let (site, http) = try site("""
            {"type": "http", "host": "127.0.0.1", "port": \(example.port),
             "login": {"path": "/session", "username_field": "email", "token_cookie": "remember_me"}}
            """)
        // The gateway answers 401 to us, which reads as a rejected login, not a crash.
        #expect(try await site.login(username: "bob@example.com", password: "hunter2", clientAddress: "203.0.113.7") == .rejected(message: "Wrong username or password."))
        await http.shutdown()
    }

    @Test func aSiteThatIsDownIsUnavailableNotAFailedLogin() async throws {
        let (site, http) = try site("""
            {"type": "http", "host": "127.0.0.1", "port": \(FreePort.loopback()),
             "login": {"path": "/session", "token_cookie": "remember_me"}}
            """)
        await #expect(throws: ResourceServerUnavailable.self) { try await site.login(username: "a", password: "b", clientAddress: "203.0.113.7") }
        await http.shutdown()
    }

    @Test func configurationMistakesNameTheirKey() throws {
        #expect(throws: ConfigError.self) { _ = try site(#"{"type": "ftp"}"#) }
        do {
            _ = try site(#"{"type": "http", "login": {"token_cookie": "a", "token_field": "b"}, "api": {"p": {"scope": "admin", "path": "x"}}}"#)
            Issue.record("expected a configuration error")
        } catch let error as ConfigError {
            let text = error.description
            #expect(text.contains("resource_server.login: set exactly one of token_cookie"))
            #expect(text.contains("resource_server.api.p.scope: \"admin\" is not one of resource_server.scopes"))
            #expect(text.contains("resource_server.api.p.path: must be a path starting with /"))
        }
        do {
            _ = try site(#"{"type": "http", "login": {"token_cookie": "a"}, "scope_descriptions": {"admin": "Everything", "read-only": true}}"#)
            Issue.record("expected a configuration error")
        } catch let error as ConfigError {
            #expect(error.description.contains("resource_server.scope_descriptions.admin: \"admin\" is not one of resource_server.scopes"))
            #expect(error.description.contains("resource_server.scope_descriptions.read-only: must be a string"))
        }
    }

    @Test func scopeDescriptionsComeFromTheConfiguration() throws {
        let (site, _) = try site(#"{"type": "http", "login": {"token_cookie": "a"}, "scope_descriptions": {"read-only": "See your orders"}}"#)
        #expect(site.scopeDescriptions == ["read-only": "See your orders"])
    }
}
