import Foundation
import TestSupport
import Testing

/// The stub website (`dummy-resource-server`) as the workers and a browser use it: the real
/// binary over real sockets.
extension IntegrationTests {
    @Suite(.serialized)
    struct DummyResourceServerTests {
        /// The JSON object of a response body, with string values.
        private func json(_ response: TestResponse) throws -> [String: String] {
            let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8))
            return try #require(object as? [String: String], "not a JSON object of strings: \(response.body)")
        }

        /// The token in a login response's `Set-Cookie`.
        private func token(_ response: TestResponse) throws -> String {
            let cookie = try #require(response.header("Set-Cookie"))
            let pair = try #require(cookie.split(separator: ";").first)
            let prefix = "dummy-server-token="
            try #require(pair.hasPrefix(prefix), "unexpected cookie \(cookie)")
            return String(pair.dropFirst(prefix.count))
        }

        @Test func loginWithThePasswordAnswersTheUserAndSetsAnHttpOnlyCookie() async throws {
            let site = try await DummySiteProcess.start(arguments: ["--secret", "test secret"])
            defer { site.kill() }

            let response = try await site.login(username: "bob.smith@example.com", password: "password")
            #expect(response.status == 200)
            #expect(response.header("Content-Type")?.hasPrefix("application/json") == true)
            #expect(try json(response) == ["id": "bob.smith@example.com", "firstName": "bob"])
            let cookie = try #require(response.header("Set-Cookie"))
            #expect(cookie.hasPrefix("dummy-server-token="))
            #expect(cookie.hasSuffix("; Path=/; HttpOnly"))
            #expect(try token(response).count > 20)
            #expect(await site.stop() == 0)
        }

        @Test func firstNameIsTheUsernameUpToTheFirstDotOrAt() async throws {
            let site = try await DummySiteProcess.start(arguments: ["--secret", "test secret"])
            defer { site.kill() }

            let expected = [
                "bob.smith@example.com": "bob",
                "carol@example.com": "carol",
                "alice": "alice",
                "dave smith": "dave smith",
            ]
            for (username, firstName) in expected {
                let response = try await site.login(username: username, password: "password")
                #expect(response.status == 200)
                #expect(try json(response) == ["id": username, "firstName": firstName])
            }
            // A JSON body works the same as a form.
            let response = try await site.login(#"{"username": "alice", "password": "password"}"#, contentType: "application/json")
            #expect(response.status == 200)
            #expect(try json(response) == ["id": "alice", "firstName": "alice"])
            #expect(try token(response).isEmpty == false)
            #expect(await site.stop() == 0)
        }

        @Test func anyOtherPasswordIsRefusedWith401() async throws {
            let site = try await DummySiteProcess.start(arguments: ["--secret", "test secret"])
            defer { site.kill() }

            for body in ["username=alice&password=wrong", "username=alice&password=", "username=alice", "username=alice&password=Password"] {
                let response = try await site.login(body)
                #expect(response.status == 401, "\(body)")
                #expect(try json(response) == ["error": "bad username or password"])
                #expect(response.header("Set-Cookie") == nil)
            }
            let response = try await site.login(#"{"username": "alice", "password": "nope"}"#, contentType: "application/json")
            #expect(response.status == 401)
            #expect(await site.stop() == 0)
        }

        @Test func missingOrMalformedBodiesAre400AndNever500() async throws {
            let site = try await DummySiteProcess.start(arguments: ["--secret", "test secret"])
            defer { site.kill() }

            let missingUsername: [(body: String, contentType: String?)] = [
                ("", nil),
                ("", "application/x-www-form-urlencoded"),
                ("username=&password=password", "application/x-www-form-urlencoded"),
                ("password=password", "application/x-www-form-urlencoded"),
                ("{}", "application/json"),
                (#"{"username": "", "password": "password"}"#, "application/json"),
            ]
            for (body, contentType) in missingUsername {
                let response = try await site.login(body, contentType: contentType)
                #expect(response.status == 400, "\(body) as \(contentType ?? "nothing")")
                #expect(try json(response) == ["error": "username is required"])
            }
            let malformed: [(body: String, contentType: String)] = [
                ("", "application/json"),
                (#"{"username": "alice", "password": "#, "application/json"),
                (#"{"username": 42, "password": "password"}"#, "application/json"),
                ("[1, 2, 3]", "application/json"),
                ("username=%zz&password=password", "application/x-www-form-urlencoded"),
                ("username=a&username=b&password=password", "application/x-www-form-urlencoded"),
            ]
            for (body, contentType) in malformed {
                let response = try await site.login(body, contentType: contentType)
                #expect(response.status == 400, "\(body) as \(contentType)")
                #expect(try json(response)["error"]?.isEmpty == false, "\(response.body)")
            }
            let plain = try await site.login("alice:password", contentType: "text/plain")
            #expect(plain.status == 415)
            #expect(try json(plain)["error"]?.isEmpty == false)
            #expect(site.logLines(containing: " 500 ").isEmpty)
            #expect(await site.stop() == 0)
        }

        @Test func infoAnswersTheUserOfTheLoginToken() async throws {
            let site = try await DummySiteProcess.start(arguments: ["--secret", "test secret"])
            defer { site.kill() }

            let login = try await site.login(username: "bob.smith@example.com", password: "password")
            let token = try token(login)

            let info = try await TestHTTP.get("\(site.baseURL)/info?token=\(token)")
            #expect(info.status == 200)
            #expect(try json(info) == ["id": "bob.smith@example.com", "firstName": "bob"])
            // The browser's way: the cookie itself.
            let byCookie = try await TestHTTP.get("\(site.baseURL)/info", headers: [("Cookie", "dummy-server-token=\(token)")])
            #expect(byCookie.status == 200)
            #expect(try json(byCookie) == json(info))
            #expect(await site.stop() == 0)
        }

        @Test func infoRefusesMissingAndForgedTokens() async throws {
            let site = try await DummySiteProcess.start(arguments: ["--secret", "test secret"])
            defer { site.kill() }

            let token = try token(try await site.login(username: "bob", password: "password"))
            let parts = token.split(separator: ".")
            try #require(parts.count == 2)
            let admin = Data("admin".utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
            let lastHex = parts[1].last == "0" ? "1" : "0"
            let forged = [
                "",
                "nonsense",
                "\(admin).\(parts[1])",  // another user with bob's signature
                "\(parts[0]).\(parts[1].dropLast())\(lastHex)",  // one hex digit changed
                "\(parts[0]).\(parts[1].prefix(32))",  // a truncated signature
                "\(parts[0]).",
                "\(parts[0])",
                "\(token).\(parts[1])",
            ]
            for candidate in forged {
                let response = try await TestHTTP.get("\(site.baseURL)/info?token=\(candidate)")
                #expect(response.status == 401, "\(candidate)")
                #expect(try json(response) == ["error": "unknown token"])
            }
            let missing = try await TestHTTP.get("\(site.baseURL)/info")
            #expect(missing.status == 401)
            #expect(try json(missing) == ["error": "unknown token"])
            #expect(await site.stop() == 0)
        }

        @Test func aTokenIssuedBeforeARestartStillWorksWithTheSameSecret() async throws {
            let first = try await DummySiteProcess.start(arguments: ["--secret", "restart secret"])
            defer { first.kill() }
            let token = try token(try await first.login(username: "carol@example.com", password: "password"))
            #expect(await first.stop() == 0)

            let second = try await DummySiteProcess.start(port: first.port, arguments: ["--secret", "restart secret"])
            defer { second.kill() }
            let info = try await TestHTTP.get("\(second.baseURL)/info?token=\(token)")
            #expect(info.status == 200)
            #expect(try json(info) == ["id": "carol@example.com", "firstName": "carol"])
            #expect(await second.stop() == 0)

            // Another secret is another site: its tokens are not ours.
            let other = try await DummySiteProcess.start(port: first.port, arguments: ["--secret", "another secret"])
            defer { other.kill() }
            #expect(try await TestHTTP.get("\(other.baseURL)/info?token=\(token)").status == 401)
            #expect(await other.stop() == 0)
        }

        @Test func logLinesCarryTheRoleAndNeitherPasswordsNorTokens() async throws {
            let site = try await DummySiteProcess.start(arguments: ["--secret", "log secret", "--log-level", "debug"])
            defer { site.kill() }

            let wrongPassword = "hunter2-\(UUID().uuidString)"
            #expect(try await site.login(username: "dave", password: wrongPassword).status == 401)
            let login = try await site.login(username: "dave", password: "password")
            let token = try token(login)
            #expect(try await TestHTTP.get("\(site.baseURL)/info?token=\(token)").status == 200)
            #expect(await site.stop() == 0)

            let log = site.log()
            let lines = log.split(separator: "\n")
            #expect(!lines.isEmpty)
            for line in lines {
                let prefix = #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z resource-server\[\d+\] (debug|info|notice|warn|error|crit): /#
                #expect(line.firstMatch(of: prefix) != nil, "\(line)")
            }
            #expect(site.logLines(containing: "notice: POST /login 401 ").count == 1)
            #expect(site.logLines(containing: "notice: POST /login 200 ").count == 1)
            #expect(site.logLines(containing: "notice: GET /info 200 ").count == 1)
            #expect(site.logLines(containing: "resource-server[\(site.pid)] notice: stopped").count == 1)
            #expect(!log.contains(wrongPassword))
            #expect(!log.contains("password"))
            #expect(!log.contains(token))
            #expect(!log.contains(String(token.split(separator: ".").last ?? "")))
        }

        @Test func theLogLevelOptionHidesRequestLinesAndRejectsUnknownNames() async throws {
            let quiet = try await DummySiteProcess.start(arguments: ["--secret", "quiet", "--log-level", "warn"])
            defer { quiet.kill() }
            #expect(try await quiet.login(username: "erin", password: "password").status == 200)
            #expect(await quiet.stop() == 0)
            #expect(quiet.logLines(containing: "POST /login").isEmpty)

            let result = try Command.output(TestEnvironment.executable("dummy-resource-server"), [
                "--port", String(TestEnvironment.freePort()), "--log-level", "loud",
            ])
            #expect(result.status == 1)
            #expect(result.output.contains("resource-server["))
            #expect(result.output.contains("unknown log level \"loud\""))
        }
    }
}
