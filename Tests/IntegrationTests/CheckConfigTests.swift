import Foundation
import TestSupport
import Testing

/// `check-config` means the server will start: it refuses every configuration a worker refuses
/// at boot, naming the file and key, and with `--connect` it asks every store and the site.
extension IntegrationTests {
    @Suite(.serialized)
    struct CheckConfigTests {
        let server = TestEnvironment.executable("oauth2-server")
        static let longSecret = "a session secret of more than thirty-two characters"

        /// A folder with `default.json` and a valid clients file; `files` adds or replaces files.
        func configFolder(_ defaults: String, _ files: [String: String] = [:]) throws -> String {
            let directory = TestEnvironment.temporaryDirectory("oauth2-check")
            try TestConfig.clientsFile.write(toFile: "\(directory)/clients.json", atomically: true, encoding: .utf8)
            try defaults.write(toFile: "\(directory)/default.json", atomically: true, encoding: .utf8)
            for (name, text) in files {
                try text.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8)
            }
            return directory
        }

        func checkConfig(_ directory: String, _ arguments: [String] = [], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
            try Command.output(server, ["check-config"] + arguments, environment: ["OAUTH2_CONFIG_DIR": directory].merging(environment) { $1 })
        }

        /// The shipped templates, copied so a test can break one.
        func viewsCopy(in directory: String) throws -> String {
            let views = "\(directory)/views"
            try FileManager.default.copyItem(atPath: TestEnvironment.repository.appendingPathComponent("views").path, toPath: views)
            return views
        }

        /// A self-signed certificate and its key, made with openssl.
        func certificate(in directory: String, named name: String) throws -> (certificate: String, key: String) {
            let (certificate, key) = ("\(directory)/\(name)-cert.pem", "\(directory)/\(name)-key.pem")
            let result = try Command.output("/usr/bin/openssl", [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=\(name)",
            ])
            try #require(result.status == 0, "\(result.output)")
            return (certificate, key)
        }

        /// Every reason a worker refuses to boot, one configuration each: check-config exits 1
        /// naming the file and key of each.
        @Test func everyReasonAWorkerRefusesToBootFailsCheckConfigWithFileAndKey() throws {
            let scratch = TestEnvironment.temporaryDirectory("oauth2-check-files")
            let views = try viewsCopy(in: scratch)
            try "<h1>{{#client}}{{name}}</h1>".write(toFile: "\(views)/dialog.mustache", atomically: true, encoding: .utf8)
            let first = try certificate(in: scratch, named: "first")
            let second = try certificate(in: scratch, named: "second")
            try "not a certificate".write(toFile: "\(scratch)/text.pem", atomically: true, encoding: .utf8)
            let secret = #""session_secret": "\#(Self.longSecret)""#

            // (the configuration, the file and key the problem must name, what it must say)
            let reasons: [(config: String, key: String, says: String)] = [
                (#"{"auth_server": {\#(secret), "port": "eighty"}}"#, "auth_server.port", "must be a number"),
                (#"{"auth_server": {"port": 8081}}"#, "auth_server.session_secret", "is required"),
                (#"{"auth_server": {\#(secret)}, "resource_server": {"type": "ftp"}}"#, "resource_server.type", "unknown resource server type \"ftp\""),
                (#"{"auth_server": {\#(secret)}, "resource_server": {"type": "http", "host": "www.example.com"}}"#,
                 "resource_server.login", "set exactly one of token_cookie"),
                (#"{"auth_server": {\#(secret)}, "resource_server": {"type": "http", "login": {"token_cookie": "c"}, "timeout": "ten"}}"#,
                 "resource_server.timeout", "must be a number, not \"ten\""),
                (#"{"auth_server": {\#(secret)}, "resource_server": {"ssl": "yes"}}"#, "resource_server.ssl", "must be true or false"),
                (#"{"auth_server": {\#(secret), "views_dir": "\#(views)"}}"#, "auth_server.views_dir", "template \(views)/dialog.mustache does not parse"),
                (#"{"auth_server": {\#(secret), "views_dir": "\#(scratch)/nowhere"}}"#, "auth_server.views_dir", "folder \(scratch)/nowhere does not exist"),
                (#"{"auth_server": {\#(secret), "views": {"review": "no-such-page"}}}"#, "auth_server.views.review", "no template no-such-page.mustache"),
                (#"{"auth_server": {\#(secret), "ssl_cert": "\#(scratch)/text.pem", "ssl_key": "\#(first.key)"}}"#,
                 "auth_server.ssl_cert", "is not a PEM certificate"),
                (#"{"auth_server": {\#(secret), "ssl_cert": "\#(first.certificate)", "ssl_key": "\#(scratch)/text.pem"}}"#,
                 "auth_server.ssl_key", "is not a PEM private key"),
                (#"{"auth_server": {\#(secret), "ssl_cert": "\#(first.certificate)", "ssl_key": "\#(second.key)"}}"#,
                 "auth_server.ssl_key", "is not the private key of the certificate in \(first.certificate)"),
                (#"{"auth_server": {\#(secret), "ssl": true, "ssl_cert": "\#(scratch)/absent.pem"}}"#,
                 "auth_server.ssl_cert", "does not exist or cannot be read"),
                (#"{"auth_server": {\#(secret)}, "storage": {"codes": {"type": "Mongo"}}}"#, "storage.codes.type", "unknown storage type \"Mongo\""),
                (#"{"auth_server": {\#(secret)}, "storage": {"users": {"path": "x.sqlite"}}}"#, "storage.users.type", "is required"),
                (#"{"auth_server": {\#(secret)}, "storage": {"tokens": "Redis"}}"#, "storage.tokens", "must be an object"),
                (#"{"auth_server": {\#(secret)}, "storage": {"session": {"type": "Redis", "port": "six"}}}"#, "storage.session.port", "must be a number"),
            ]
            for reason in reasons {
                let directory = try configFolder(reason.config)
                let result = try checkConfig(directory)
                let expected = "\(directory)/default.json: \(reason.key): "
                #expect(result.status == 1, "\(reason.config)\n\(result.output)")
                #expect(result.output.contains(expected) && result.output.contains(reason.says), "\(expected)… \(reason.says)\n\(result.output)")
                #expect(result.output.contains("configuration check failed"))
            }

            // The clients file is named by its own path and the entry's key.
            let clients = try configFolder(
                #"{"auth_server": {\#(secret)}, "client_credentials": {"file": "clients.json"}}"#,
                ["clients.json": #"[{"client_id": "x", "allow_code_grant": "sometimes"}]"#])
            let result = try checkConfig(clients)
            #expect(result.status == 1)
            #expect(result.output.contains("\(clients)/clients.json: [0].allow_code_grant: must be true or false"), "\(result.output)")
        }

        /// The worker refuses the same configuration with the same words, and names the file the
        /// key came from (not "the configuration from the supervisor").
        @Test func aWorkerThatCannotBootNamesTheFileAndKey() async throws {
            let scratch = TestEnvironment.temporaryDirectory("oauth2-check-views")
            let views = try viewsCopy(in: scratch)
            try "{{#user}}".write(toFile: "\(views)/login.mustache", atomically: true, encoding: .utf8)
            let broken = try await ServerProcess.start(workers: 1, overrides: ["auth_server": ["views_dir": views]], waitUntilReady: false)
            defer { broken.kill() }
            #expect(await eventually(timeout: .seconds(20)) { !broken.isRunning })
            #expect(await broken.stop() == 1)
            let problem = "\(broken.configDirectory)/default.json: auth_server.views_dir: template \(views)/login.mustache does not parse"
            #expect(broken.log().contains("cannot boot: \(problem)"), "\(broken.log())")

            let check = try Command.output(server, ["check-config"], environment: ["OAUTH2_CONFIG_DIR": broken.configDirectory, "OAUTH2_ENV": "test"])
            #expect(check.status == 1)
            #expect(check.output.contains(problem), "check-config says what the worker says\n\(check.output)")
        }

        /// A reload the new workers would refuse is refused by the supervisor with check-config's
        /// words, and the running workers go on serving.
        @Test func aReloadIsRefusedForWhatWorkersWouldRefuse() async throws {
            let server = try await ServerProcess.start(workers: 1)
            defer { server.kill() }
            let workers = server.workers
            let views = try viewsCopy(in: TestEnvironment.temporaryDirectory("oauth2-reload-views"))
            try "{{#user}}".write(toFile: "\(views)/login.mustache", atomically: true, encoding: .utf8)
            try server.writeConfig("test.json", ["auth_server": ["views_dir": views]])
            server.signal(SIGHUP)
            #expect(await server.waitForLog("still running the previous configuration"))
            let problem = "reload failed: \(server.configDirectory)/test.json: auth_server.views_dir: template \(views)/login.mustache does not parse"
            #expect(server.log().contains(problem), "\(server.log())")
            #expect(try await TestHTTP.get("\(server.baseURL)/login").status == 200)
            #expect(server.workers == workers)
            #expect(await server.stop() == 0)
        }

        /// docs/settings.md is what `oauth2-server config-reference` prints, byte for byte, so the
        /// documented keys, types, defaults and reload behaviour are the ones the server reads by.
        @Test func theSettingsReferenceInDocsIsWhatTheServerPrints() throws {
            let printed = try Command.output(server, ["config-reference"])
            #expect(printed.status == 0, "\(printed.output)")
            let documented = try String(contentsOf: TestEnvironment.repository.appendingPathComponent("docs/settings.md"), encoding: .utf8)
            #expect(
                Data(printed.output.utf8) == Data(documented.utf8),
                "docs/settings.md is not the output of oauth2-server config-reference: regenerate it with `.build/release/oauth2-server config-reference > docs/settings.md` and commit it")
            let help = try Command.output(server, ["--help"])
            #expect(help.output.contains("config-reference"), "\(help.output)")
        }

        @Test func stringsThatSpellNumbersAndBooleansAreAcceptedEverywhere() throws {
            let directory = try configFolder(#"""
                {"auth_server": {"session_secret": "\#(Self.longSecret)", "port": "8089", "behind_proxy": "true", "worker_timeout": "12"},
                 "resource_server": {"type": "http", "port": "8443", "ssl": "true", "timeout": "2.5", "allow_bad_ssl_cert": "false",
                                     "login": {"token_cookie": "remember_me"}},
                 "storage": {"session": {"type": "Redis", "port": "6379", "db": "2", "ttl": "1800"}}}
                """#,
                ["clients.json": #"[{"client_id": "x", "allow_code_grant": "true", "require_pkce": "true", "valid_redirects": ["https://app.example.com/cb"]}]"#])
            let result = try checkConfig(directory, ["--strict"])
            #expect(result.status == 0, "\(result.output)")
        }

        @Test func unknownKeysAreWarningsAndErrorsWithStrict() throws {
            let directory = try configFolder(#"""
                {"auth_server": {"session_secret": "\#(Self.longSecret)"},
                 "storage": {"session": {"type": "Redis", "sentinals": ["10.0.0.1:26379"]}, "sesion": {"type": "Blackhole"}}}
                """#)
            let lenient = try checkConfig(directory)
            #expect(lenient.status == 0, "\(lenient.output)")
            #expect(lenient.output.contains("warning: \(directory)/default.json: storage.session.sentinals: is not a key this server reads"), "\(lenient.output)")
            #expect(lenient.output.contains("warning: \(directory)/default.json: storage.sesion: is not a storage group this server uses"))

            let strict = try checkConfig(directory, ["--strict"])
            #expect(strict.status == 1)
            #expect(strict.output.contains("\(directory)/default.json: storage.session.sentinals: is not a key this server reads"))
            #expect(strict.output.contains("2 problem(s)"), "\(strict.output)")

            // The shipped files carry no key the server ignores.
            let etc = TestEnvironment.repository.appendingPathComponent("etc").path
            for environment in ["development", "test"] {
                let shipped = try Command.output(server, ["check-config", "--strict"], environment: ["OAUTH2_CONFIG_DIR": etc, "OAUTH2_ENV": environment])
                #expect(shipped.status == 0, "\(shipped.output)")
            }
        }

        @Test func connectAsksEveryStoreAndTheSite() async throws {
            let postgresPort = try #require(ProcessInfo.processInfo.environment["OAUTH2_TEST_POSTGRES_PORT"], "start scripts/test-services")
            let redis = try await RedisServerProcess()
            let site = try await DummySiteProcess.start()
            defer { site.kill() }
            let scratch = TestEnvironment.temporaryDirectory("oauth2-connect")
            let directory = try configFolder(#"""
                {"auth_server": {"session_secret": "\#(Self.longSecret)"},
                 "storage": {"default": {"type": "Sqlite", "path": "\#(scratch)/oauth2.sqlite"},
                             "session": {"type": "Redis", "host": "127.0.0.1", "port": \#(redis.port)},
                             "users": {"type": "Postgres", "options": {"host": "127.0.0.1", "port": \#(postgresPort), "user": "postgres", "database": "oauth2"}},
                             "audit": {"type": "Blackhole"}},
                 "resource_server": {"type": "http", "host": "127.0.0.1", "port": \#(site.port), "login": {"token_cookie": "dummy-server-token"}}}
                """#)
            let answered = try checkConfig(directory, ["--connect"])
            #expect(answered.status == 0, "\(answered.output)")
            for line in [
                "Sqlite \(scratch)/oauth2.sqlite (groups codes, tokens, refresh_tokens, keys): answered",
                "Redis 127.0.0.1:\(redis.port)/0 (groups session): answered",
                "Postgres postgres@127.0.0.1:\(postgresPort)/oauth2 (groups users): answered",
                "the site (resource_server) http://127.0.0.1:\(site.port): answered",
            ] {
                #expect(answered.output.contains(line), "\(line)\n\(answered.output)")
            }
            #expect(!FileManager.default.fileExists(atPath: "\(scratch)/oauth2.sqlite"), "checking creates no database file")

            await redis.stop()
            await site.stop()
            let silent = try checkConfig(directory, ["--connect"])
            #expect(silent.status == 1, "\(silent.output)")
            #expect(silent.output.contains("Redis 127.0.0.1:\(redis.port)/0 (groups session): did not answer"), "\(silent.output)")
            #expect(silent.output.contains("the site (resource_server) http://127.0.0.1:\(site.port): did not answer"))
            #expect(silent.output.contains("Postgres postgres@127.0.0.1:\(postgresPort)/oauth2 (groups users): answered"))
            #expect(silent.output.contains("connection check failed: 2 of 4 did not answer"))

            // The dummy site is the server's own: it cannot answer before the server starts it.
            try #"{"resource_server": {"type": "dummy", "host": "127.0.0.1", "port": \#(site.port)}}"#
                .write(toFile: "\(directory)/runtime.json", atomically: true, encoding: .utf8)
            let dummy = try checkConfig(directory, ["--connect"])
            #expect(dummy.output.contains("the site (resource_server) http://127.0.0.1:\(site.port): not asked: the dummy site is started by the server itself"), "\(dummy.output)")
            #expect(dummy.output.contains("connection check failed: 1 of 4 did not answer"), "only Redis, still down\n\(dummy.output)")
        }

        /// A Redis group that names sentinels is checked the way workers connect: the sentinels are
        /// asked for the primary of its master name, and that server must answer.
        @Test func connectAsksTheSentinelsForTheRedisPrimary() async throws {
            let redis = try await RedisServerProcess()
            let sentinel = try await RedisSentinelProcess(monitoring: redis.port, quorum: 1)
            let scratch = TestEnvironment.temporaryDirectory("oauth2-connect-sentinel")
            func config(masterName: String) throws -> String {
                try configFolder(#"""
                    {"auth_server": {"session_secret": "\#(Self.longSecret)"},
                     "storage": {"default": {"type": "Sqlite", "path": "\#(scratch)/oauth2.sqlite"},
                                 "session": {"type": "Redis", "master_name": "\#(masterName)",
                                             "sentinels": [{"host": "127.0.0.1", "port": \#(sentinel.port)}]},
                                 "audit": {"type": "Blackhole"}}}
                    """#)
            }
            let answered = try checkConfig(try config(masterName: "mymaster"), ["--connect"])
            let unknown = try checkConfig(try config(masterName: "no-such-master"), ["--connect"])
            sentinel.stop()
            await redis.stop()
            #expect(answered.status == 0, "\(answered.output)")
            #expect(answered.output.contains("Redis mymaster (Sentinel)/0 (groups session): answered"), "\(answered.output)")
            #expect(unknown.status == 1, "\(unknown.output)")
            #expect(
                unknown.output.contains("Redis no-such-master (Sentinel)/0 (groups session): did not answer")
                    && unknown.output.contains("does not know no-such-master"), "\(unknown.output)")
        }

        /// A PostgreSQL group with several `hosts` is checked the way workers connect: the hosts
        /// are asked in order, and the answer names the one that takes writes.
        @Test func connectSaysWhichPostgresHostIsThePrimary() async throws {
            let primary = try PostgresServerProcess()
            let standby = try PostgresServerProcess(standbyOf: primary)
            let scratch = TestEnvironment.temporaryDirectory("oauth2-connect-postgres-hosts")
            func config(_ servers: [PostgresServerProcess]) throws -> String {
                let hosts = servers.map { #"{"host": "127.0.0.1", "port": \#($0.port)}"# }.joined(separator: ", ")
                return try configFolder(#"""
                    {"auth_server": {"session_secret": "\#(Self.longSecret)"},
                     "storage": {"default": {"type": "Sqlite", "path": "\#(scratch)/oauth2.sqlite"},
                                 "users": {"type": "Postgres", "options": {"user": "postgres", "database": "oauth2", "hosts": [\#(hosts)]}},
                                 "audit": {"type": "Blackhole"}}}
                    """#)
            }
            let both = try checkConfig(try config([standby, primary]), ["--connect"])
            #expect(both.status == 0, "\(both.output)")
            let target = "Postgres postgres@127.0.0.1:\(standby.port),127.0.0.1:\(primary.port)/oauth2 (groups users)"
            #expect(both.output.contains(
                "\(target): answered: 127.0.0.1:\(primary.port) is the primary (127.0.0.1:\(standby.port): read-only, a standby)"),
                "\(both.output)")

            let standbyOnly = try checkConfig(try config([standby]), ["--connect"])
            #expect(standbyOnly.status == 1, "\(standbyOnly.output)")
            #expect(standbyOnly.output.contains(
                "(groups users): did not answer: no read-write server among the hosts: 127.0.0.1:\(standby.port): read-only, a standby"),
                "\(standbyOnly.output)")
        }

        /// etc/production.json.example, copied as its comment says, with what it tells the operator
        /// to fill in (and where this machine's Redis and PostgreSQL are) in runtime.json: it
        /// passes check-config in production, and the server starts with it.
        @Test func theShippedProductionExampleChecksAndStarts() async throws {
            let environment = ProcessInfo.processInfo.environment
            let redisPort = try #require(environment["OAUTH2_TEST_REDIS_PORT"].flatMap(Int.init), "start scripts/test-services")
            let postgresPort = try #require(environment["OAUTH2_TEST_POSTGRES_PORT"].flatMap(Int.init), "start scripts/test-services")
            let etc = TestEnvironment.repository.appendingPathComponent("etc").path
            let directory = TestEnvironment.temporaryDirectory("oauth2-production")
            try FileManager.default.copyItem(atPath: "\(etc)/default.json", toPath: "\(directory)/default.json")
            try FileManager.default.copyItem(atPath: "\(etc)/production.json.example", toPath: "\(directory)/production.json")
            let production = ["OAUTH2_CONFIG_DIR": directory, "OAUTH2_ENV": "production"]

            let unfilled = try Command.output(server, ["check-config"], environment: production)
            #expect(unfilled.status == 1, "its placeholders are refused in production\n\(unfilled.output)")
            #expect(unfilled.output.contains("\(directory)/production.json: auth_server.session_secret: not for production: is still the placeholder"))

            try #"[{"client_id": "app", "allow_code_grant": true, "valid_redirects": ["https://app.example.com/callback"]}]"#
                .write(toFile: "\(directory)/clients.json", atomically: true, encoding: .utf8)
            let example = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(directory)/production.json"))) as? [String: Any]
            var stores: [String: Any] = [:]
            for (group, settings) in try #require(example?["storage"] as? [String: Any]) where !group.hasPrefix("//") {
                let settings = try #require(settings as? [String: Any], "\(group)")
                stores[group] = settings["type"] as? String == "Redis"
                    ? ["port": redisPort]
                    : ["options": ["port": postgresPort, "user": "postgres", "password": "the test server trusts local connections"]]
            }
            let port = TestEnvironment.freePort()
            try TestConfig.write([
                "auth_server": [
                    "session_secret": Self.longSecret, "keys_secret": Self.longSecret + " for keys", "port": port,
                    "views_dir": TestEnvironment.repository.appendingPathComponent("views").path,
                ],
                "client_credentials": ["file": "\(directory)/clients.json"],
                "storage": stores,
            ], to: "\(directory)/runtime.json")

            let filled = try Command.output(server, ["check-config", "--strict"], environment: production)
            #expect(filled.status == 0, "\(filled.output)")
            #expect(filled.output.contains("configuration OK (\(directory)/default.json, \(directory)/production.json, \(directory)/runtime.json)"))

            let started = try await ServerProcess.start(environment: production, waitUntilReady: false)
            defer { started.kill() }
            let base = "http://127.0.0.1:\(port)"
            #expect(await eventually(timeout: .seconds(30)) { (try? await TestHTTP.get("\(base)/healthcheck/storage"))?.status == 200 },
                    "\(started.log())")
            let login = try await TestHTTP.get("\(base)/login")
            #expect(login.status == 200, "the http site and the templates are loaded")
            #expect(await started.stop() == 0, "\(started.log())")
        }

        /// `systemctl reload` runs the unit's ExecReload lines in order and stops at the first that
        /// fails: a broken file fails the reload with check-config's message and is never applied.
        @Test func theUnitsReloadChecksTheFilesBeforeSignalling() async throws {
            let unit = try String(
                contentsOfFile: TestEnvironment.repository.appendingPathComponent("deploy/oauth2-server.service").path, encoding: .utf8)
            let reload = unit.split(separator: "\n").filter { $0.hasPrefix("ExecReload=") }.map { $0.dropFirst("ExecReload=".count) }
            #expect(reload.count == 2 && reload[0].hasSuffix("oauth2-server check-config"), "\(reload)")
            #expect(unit.contains("StartLimitBurst=") && unit.contains("StartLimitIntervalSec="))

            let running = try await ServerProcess.start(workers: 1)
            defer { running.kill() }
            func systemctlReload() throws -> (status: Int32, output: String) {
                for line in reload {
                    let command = line.replacingOccurrences(of: "/usr/local/bin/oauth2-server", with: server)
                        .replacingOccurrences(of: "$MAINPID", with: "\(running.pid)")
                    let result = try Command.output("/bin/sh", ["-c", command], environment: ["OAUTH2_CONFIG_DIR": running.configDirectory, "OAUTH2_ENV": "test"])
                    if result.status != 0 { return result }
                }
                return (0, "")
            }

            try running.writeConfig("test.json", #"{"logging": {"level": "loud"}}"#)
            let refused = try systemctlReload()
            #expect(refused.status == 1)
            #expect(refused.output.contains("\(running.configDirectory)/test.json: logging.level: must be one of"), "\(refused.output)")

            try running.writeConfig("test.json", #"{"logging": {"level": "info"}}"#)
            #expect(try systemctlReload().status == 0)
            #expect(await running.waitForLog("configuration reloaded"))
            // Signalled once, by the second reload: the refused one never reached the server.
            #expect(running.logLines(containing: "SIGHUP").count == 1, "\(running.log())")
            #expect(running.logLines(containing: "reload failed").isEmpty)
            #expect(try await TestHTTP.get("\(running.baseURL)/healthcheck").status == 200)
            #expect(await running.stop() == 0)
        }
    }
}
