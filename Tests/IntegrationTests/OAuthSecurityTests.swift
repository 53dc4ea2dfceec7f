import Foundation
import NIOHTTP1
import SharedPlatform
import TestSupport
import Testing

extension IntegrationTests {
    /// The attacks an authorization server must not fall for (RFC 6749 section 10, RFC 9700).
    @Suite(.serialized)
    struct OAuthSecurityTests {

        @Test func noSecretReachesTheLog() async throws {
            let server = try await OAuthDriver.start(.embedded, workers: 1, overrides: ["logging": ["level": "debug"]])
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            let password = "password"
            try await driver.signIn(OAuthDriver.newUser(), password: password)
            let code = try await driver.code()
            let tokens = try await driver.exchange(code)
            let access = try #require(tokens["access_token"] as? String)
            let refresh = try #require(tokens["refresh_token"] as? String)
            _ = try await driver.api("profile", token: access)
            let refreshed = try OAuthDriver.json(try await driver.post(
                [("grant_type", "refresh_token"), ("refresh_token", refresh)], basic: ("test", "hunter2")))
            _ = try await driver.post([("grant_type", "authorization_code"), ("code", code)], basic: ("test", "wrong-secret"))
            _ = try await driver.api("profile", token: "a-bad-token-value-that-must-not-be-logged-either")
            #expect(await server.stop() == 0)

            let log = server.log()
            #expect(log.contains("POST /token"), "the requests were logged")
            let sid = try #require(driver.browser.sid)
            for secret in [code, access, refresh, refreshed["access_token"] as? String ?? "", refreshed["refresh_token"] as? String ?? "",
                           "hunter2", "wrong-secret", "a-bad-token-value-that-must-not-be-logged-either", sid, "password="] {
                #expect(!log.contains(secret), "a secret reached the log")
            }
        }

        /// A password travels from the sign-in form to the site; at debug level the log holds it
        /// in no form, whether the site took it or refused it.
        @Test func aPasswordReachesTheLogInNoFormAtDebugLevel() async throws {
            let password = "Zq7Vx3Lm9Pw2 +&=\"ö'\\/%"
            let wrong = "Wr0ngKd4Hs8T +&=\"ö'\\/%"
            let site = try await ExampleSiteProcess(password: password)
            defer { site.stop() }
            let server = try await ServerProcess.start(
                workers: 1, logLevel: "debug", overrides: ["resource_server": site.resourceServer()], clients: FlowClients.file)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            #expect(try await driver.signIn("bob@example.com", password: wrong).status == 401, "the site refused the wrong password")
            #expect(try await driver.signIn("bob@example.com", password: password).status == 303, "the site took the right one")
            #expect(await server.stop() == 0)

            let log = server.log()
            #expect(log.contains("POST /login"), "the sign-ins were logged")
            for secret in [password, wrong] {
                let found = Self.encodings(of: secret).filter { log.contains($0) }
                #expect(found.isEmpty, "a password reached the log as \(found)")
            }
        }

        /// `text` as a log might hold it: raw, percent-encoded (spaces as %20 or +), JSON-escaped,
        /// base64, and each run of six or more letters and digits, which survives any encoding of text.
        static func encodings(of text: String) -> [String] {
            let percent = PercentEncoding.component(text)
            let json = [JSONSerialization.WritingOptions(), .withoutEscapingSlashes].map { options in
                String(String(decoding: try! JSONSerialization.data(withJSONObject: [text], options: options), as: UTF8.self).dropFirst(2).dropLast(2))
            }
            let runs = text.split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }.filter { $0.count >= 6 }.map(String.init)
            return [text, percent, percent.replacingOccurrences(of: "%20", with: "+"), Data(text.utf8).base64EncodedString()] + json + runs
        }

        @Test func aClientRemovedFromTheClientsFileLosesItsTokens() async throws {
            let server = try await OAuthDriver.start(.embedded, workers: 2)
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            try await driver.signIn(OAuthDriver.newUser())
            let code = try await driver.code(OAuthDriver.codeRequest(client: "other", redirect: FlowClients.otherRedirect))
            let token = try #require(try await driver.exchange(code, client: "other", redirect: FlowClients.otherRedirect)["access_token"] as? String)
            let kept = try #require(try await driver.exchange(try await driver.code())["access_token"] as? String)
            #expect(try await driver.api("profile", token: token).status == 200)

            // The operator removes a compromised client and reloads.
            var entries = try #require(try JSONSerialization.jsonObject(with: Data(FlowClients.file.utf8)) as? [[String: Any]])
            entries.removeAll { $0["client_id"] as? String == "other" }
            try JSONSerialization.data(withJSONObject: entries).write(to: URL(fileURLWithPath: "\(server.configDirectory)/clients.json"))
            server.signal(SIGHUP)
            #expect(await server.waitForLog("configuration reloaded in place"))
            #expect(await eventually { (try? await driver.api("profile", token: token))?.status == 401 })
            let introspected = try await driver.post([("token", token)], to: "/introspect", basic: ("service", "service-secret"))
            #expect(introspected.body == #"{"active":false}"#)
            #expect(try await driver.api("profile", token: kept).status == 200, "other clients' tokens are untouched")
            #expect(await server.stop() == 0)
        }
    }
}
