import Foundation
import TestSupport
import Testing

extension IntegrationTests {
    /// A standard client library, not hand-made requests: Python's Authlib (installed by
    /// scripts/test) runs Tests/ClientLibrary/authlib_flows.py against the real server —
    /// discovery, code + PKCE for a confidential and a public client, refresh, revocation,
    /// introspection and client credentials.
    @Suite(.serialized)
    struct ClientLibraryTests {
        @Test(arguments: FlowBackend.allCases)
        func authlibDrivesEveryFlow(_ backend: FlowBackend) async throws {
            let python = try #require(
                ProcessInfo.processInfo.environment["OAUTH2_TEST_PYTHON"],
                "OAUTH2_TEST_PYTHON is not set: run the tests with scripts/test, which installs Authlib")
            let server = try await OAuthDriver.start(backend)
            defer { server.kill() }
            let script = TestEnvironment.repository.appendingPathComponent("Tests/ClientLibrary/authlib_flows.py").path
            let (status, output) = try Command.output(python, [script, server.baseURL])
            #expect(status == 0, "\(output)\nserver log:\n\(server.log().suffix(4000))")
            #expect(output.contains("all 7 scenarios passed"))
            #expect(await server.stop() == 0)
        }
    }
}
