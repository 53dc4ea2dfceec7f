import Foundation
import SharedPlatform
import TestSupport
import Testing

extension IntegrationTests {
    /// The pages as a person uses them: headless Chromium (Debian's chromium and chromium-driver,
    /// driven by selenium from PyPI; scripts/test installs both) runs Tests/Browser/browser_flows.py
    /// against the real server — a client's link, sign-in, consent with Allow and with Deny, the
    /// review page, logout, a wrong password and crafted return_to links — and fails on any console
    /// error, any CSP violation and any page without a Content-Security-Policy header.
    @Suite(.serialized)
    struct BrowserTests {
        static let clientID = "browser"
        /// Markup in the name: the pages must show it as text.
        static let clientName = "Partner <b>Site</b> & Co"

        @Test(arguments: FlowBackend.allCases)
        func aPersonSignsInConsentsReviewsAndSignsOut(_ backend: FlowBackend) async throws {
            let python = try #require(
                ProcessInfo.processInfo.environment["OAUTH2_TEST_PYTHON"],
                "OAUTH2_TEST_PYTHON is not set: run the tests with scripts/test, which installs selenium")
            // The client's redirect URI is a listener the script starts itself, so the browser
            // really lands there.
            let redirectURI = "http://127.0.0.1:\(TestEnvironment.freePort())/callback"
            let server = try await ServerProcess.start(
                workers: 2, overrides: backend.overrides(), clients: try Self.clientsFile(redirectURI: redirectURI))
            defer { server.kill() }
            // Chromium's profile and chromedriver's log: every browser process names this folder.
            let workDirectory = TestEnvironment.temporaryDirectory("browser")
            defer { try? FileManager.default.removeItem(atPath: workDirectory) }

            let script = TestEnvironment.repository.appendingPathComponent("Tests/Browser/browser_flows.py").path
            var arguments = [
                script, server.baseURL, "--client-id", Self.clientID, "--client-name", Self.clientName,
                "--redirect-uri", redirectURI, "--username", OAuthDriver.newUser("browser"), "--password", "password",
                "--work-dir", workDirectory,
            ]
            // Where to keep a screenshot of every page, to look at them.
            if let screenshots = ProcessInfo.processInfo.environment["OAUTH2_TEST_SCREENSHOTS"] {
                arguments += ["--screenshots", "\(screenshots)/\(backend.rawValue)"]
            }
            let (status, output) = try Command.output(python, arguments)
            #expect(status == 0, "\(output)\nserver log:\n\(server.log().suffix(4000))")
            #expect(output.contains("all 6 scenarios passed"), "\(output)")

            let leftovers = Self.processes(naming: workDirectory)
            #expect(leftovers.isEmpty, "browser processes outlived the script: \(leftovers.map(ProcessTable.commandLine))")
            for pid in leftovers { kill(pid, SIGKILL) }
            #expect(await server.stop() == 0)
        }

        /// One confidential client whose only redirect URI is the script's listener.
        static func clientsFile(redirectURI: String) throws -> String {
            let client: [String: Any] = [
                "id": "8", "name": clientName, "client_id": clientID,
                "client_secret": ClientSecret.hash(secret: UUID().uuidString, clientID: clientID).stored,
                "allow_code_grant": true, "valid_redirects": [redirectURI],
            ]
            return String(decoding: try JSONSerialization.data(withJSONObject: [client]), as: UTF8.self)
        }

        /// Live processes whose command line contains `text`.
        static func processes(naming text: String) -> [pid_t] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return entries.compactMap { pid_t($0) }.filter { ProcessTable.isAlive($0) && ProcessTable.commandLine(of: $0).contains(text) }
        }
    }
}
