import Foundation
import SharedPlatform
import TestSupport
import Testing

/// The configuration as an operator meets it: check-config, the layered files, both sets of variable names.
extension IntegrationTests {
    @Suite(.serialized)
    struct ConfigurationTests {
        let server = TestEnvironment.executable("oauth2-server")

        /// A folder with `files`, and a valid clients file unless `files` names one.
        func configFolder(_ files: [String: String]) throws -> String {
            let directory = TestEnvironment.temporaryDirectory("oauth2-config")
            try TestConfig.clientsFile.write(toFile: "\(directory)/clients.json", atomically: true, encoding: .utf8)
            // The session secret in the last layer, so the other files carry only what a test is about.
            try #"{"auth_server": {"session_secret": "test secret"}}"#
                .write(toFile: "\(directory)/runtime.json", atomically: true, encoding: .utf8)
            for (name, text) in files {
                try text.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8)
            }
            return directory
        }

        @Test func checkConfigAcceptsTheShippedConfiguration() throws {
            let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let etc = repository.appendingPathComponent("etc").path
            for environment in ["development", "test"] {
                let result = try Command.output(server, ["check-config"], environment: ["OAUTH2_CONFIG_DIR": etc, "OAUTH2_ENV": environment])
                #expect(result.status == 0, "\(result.output)")
                #expect(result.output.contains("configuration OK"))
                #expect(result.output.contains("\(environment).json"))
            }
        }

        @Test func checkConfigNamesEveryProblemWithFileAndKey() throws {
            let directory = try configFolder([
                "default.json": #"{"auth_server": {"port": 8081}, "storage": {"default": {"type": "Sqlite"}}}"#,
                "test.json": #"{"auth_server": {"port": "eighty"}, "storage": {"codes": {"type": "Mongo"}}, "logging": {"level": "loud"}}"#,
            ])
            let result = try Command.output(server, ["check-config"], environment: ["OAUTH2_CONFIG_DIR": directory, "OAUTH2_ENV": "test"])
            #expect(result.status == 1)
            #expect(result.output.contains("\(directory)/test.json: auth_server.port: must be a number, not \"eighty\""))
            #expect(result.output.contains("\(directory)/test.json: storage.codes.type: unknown storage type \"Mongo\""))
            #expect(result.output.contains("\(directory)/test.json: logging.level: must be one of"))
            #expect(result.output.contains("3 problem(s)"))
        }

        @Test func checkConfigReportsSyntaxErrorsAndOutOfRangePorts() throws {
            let broken = try configFolder(["default.json": "{\"auth_server\": {\"port\": 80,}"])
            let syntax = try Command.output(server, ["check-config"], environment: ["OAUTH2_CONFIG_DIR": broken])
            #expect(syntax.status == 1)
            #expect(syntax.output.contains("\(broken)/default.json: is not valid JSON"))

            let range = try configFolder(["default.json": #"{"auth_server": {"port": 70000}}"#])
            let result = try Command.output(server, ["check-config"], environment: ["OAUTH2_CONFIG_DIR": range])
            #expect(result.status == 1)
            #expect(result.output.contains("auth_server.port: must be between 1 and 65535, not 70000"))
        }

        @Test func numbersWrittenAsStringsAreAcceptedAsTheNodeOriginalWritesThem() throws {
            let directory = try configFolder([
                "default.json": #"{"auth_server": {"port": "8089", "num_workers": "3"}, "storage": {"audit": {"type": "Postgres", "options": {"port": "5432", "ssl": true}}}}"#,
            ])
            let result = try Command.output(server, ["check-config"], environment: ["OAUTH2_CONFIG_DIR": directory])
            #expect(result.status == 0, "\(result.output)")
        }

        @Test func nodeVariableNamesWorkAndOurNamesWin() async throws {
            let nodeServer = try await ServerProcess.start(workers: 1, useNodeVariables: true)
            defer { nodeServer.kill() }
            #expect(try await TestHTTP.get("\(nodeServer.baseURL)/healthcheck").status == 200)
            #expect(await nodeServer.stop() == 0)

            let ours = try configFolder(["default.json": #"{"auth_server": {"port": 1}}"#, "staging.json": #"{"auth_server": {"port": 2}}"#])
            let theirs = try configFolder(["default.json": #"{"auth_server": {"port": "x"}}"#])
            let result = try Command.output(server, ["check-config"], environment: [
                "OAUTH2_CONFIG_DIR": ours, "OAUTH2_ENV": "staging", "NODE_CONFIG_DIR": theirs, "NODE_ENV": "production",
            ])
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("\(ours)/staging.json"))

            let nodeOnly = try Command.output(server, ["check-config"], environment: ["NODE_CONFIG_DIR": theirs])
            #expect(nodeOnly.status == 1)
            #expect(nodeOnly.output.contains("\(theirs)/default.json: auth_server.port"))
        }

        @Test func demoSettingsStopAProductionStartAndAreWarningsElsewhere() throws {
            let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let originalClients = try String(contentsOf: repository.appendingPathComponent("etc/clients.json.example"), encoding: .utf8)
            let directory = try configFolder([
                "default.json": #"""
                    {"auth_server": {"host": "192.0.2.1"}, "resource_server": {"type": "dummy"}, "client_credentials": {"file": "clients.json"},
                     "storage": {"users": {"type": "Postgres", "options": {"password": "REPLACE ME"}}}}
                    """#,
                "production.json": "{}",
                "clients.json": originalClients,
            ])
            let production = try Command.output(server, ["check-config"], environment: ["OAUTH2_CONFIG_DIR": directory, "OAUTH2_ENV": "production"])
            #expect(production.status == 1, "\(production.output)")
            for expected in [
                "\(directory)/default.json: resource_server.type: not for production: is the built-in dummy site",
                "\(directory)/default.json: storage.users.options.password: not for production: is still the placeholder",
                "\(directory)/runtime.json: auth_server.session_secret: not for production: is shorter than 32 characters",
                "\(directory)/clients.json: client_id=test.client_secret: not for production: is the public demo secret",
            ] {
                #expect(production.output.contains(expected), "\(expected)\n\(production.output)")
            }
            let start = try Command.output(server, [], environment: ["OAUTH2_CONFIG_DIR": directory, "OAUTH2_ENV": "production"])
            // (An address not on this machine: a server that wrongly went on could not listen, and would not hang the test.)
            #expect(start.status == 1, "the server does not start either")
            #expect(start.output.contains("not for production"))

            let development = try Command.output(server, ["check-config"], environment: ["OAUTH2_CONFIG_DIR": directory])
            #expect(development.status == 0, "\(development.output)")
            #expect(development.output.contains("warning: demo setting: \(directory)/default.json: resource_server.type"))
        }

        @Test func startupWithABadConfigExitsOneNamingTheProblem() throws {
            let directory = try configFolder(["default.json": #"{"storage": {"default": {"type": "Memcache"}}}"#])
            let result = try Command.output(server, [], environment: ["OAUTH2_CONFIG_DIR": directory])
            #expect(result.status == 1)
            #expect(result.output.contains("storage.default.type: unknown storage type \"Memcache\""))
            #expect(result.output.contains("supervisor["))
        }

        @Test func versionIsPrinted() throws {
            let result = try Command.output(server, ["--version"])
            #expect(result.status == 0)
            #expect(result.output.firstMatch(of: /^\d+\.\d+\.\d+/) != nil)
        }
    }
}

extension IntegrationTests.ConfigurationTests {
    @Test func checkConfigValidatesTheClientsFile() throws {
        let directory = try configFolder([
            "default.json": #"{"client_credentials": {"file": "clients.json"}}"#,
            "clients.json": #"[{"client_id": "x", "allow_code_grant": true, "valid_redirects": ["not a uri"]}]"#,
        ])
        let result = try Command.output(server, ["check-config"], environment: ["OAUTH2_CONFIG_DIR": directory])
        #expect(result.status == 1)
        #expect(result.output.contains("\(directory)/clients.json: [0].valid_redirects: item 0 must be an absolute URI"))

        try #"[{"client_id": "x", "allow_code_grant": true, "valid_redirects": ["*"]}]"#
            .write(toFile: "\(directory)/clients.json", atomically: true, encoding: .utf8)
        let wildcard = try Command.output(server, ["check-config"], environment: ["OAUTH2_CONFIG_DIR": directory])
        #expect(wildcard.status == 0)
        #expect(wildcard.output.contains("warning: \(directory)/clients.json: client \"x\" accepts any redirect URI"))
    }

    @Test func hashSecretPrintsASecretAndAValueThatVerifiesIt() throws {
        let result = try Command.output(server, ["hash-secret", "--client-id", "partner"])
        #expect(result.status == 0)
        let secret = try #require(result.output.firstMatch(of: #/not stored\): (\S+)/#)?.1)
        let stored = try #require(result.output.firstMatch(of: #/"client_secret": "([^"]+)"/#)?.1)
        #expect(secret.count >= 43, "32 random bytes")
        #expect(ClientSecret(stored: String(stored), salt: nil)?.verify(String(secret), clientID: "partner") == true)
        #expect(!result.output.contains("hmac-sha256$\(secret)"))
    }
}
