import Foundation
import Testing
import SharedPlatform

struct ConfigTests {
    private func document(_ layers: [(String, String)]) throws -> ConfigDocument {
        let location = ConfigLocation(directory: "/etc/oauth2", environmentName: "test")
        // Every valid configuration needs a session secret; tests about other keys share this one.
        let base = [("base.json", #"{"auth_server": {"session_secret": "test secret"}}"#)]
        return ConfigDocument(location: location, layers: try (base + layers).map { name, text in
            ConfigDocument.Layer(path: "/etc/oauth2/\(name)", value: try JSONValue.parse(Data(text.utf8)))
        })
    }

    @Test func laterLayersMergeObjectsAndReplaceEverythingElse() throws {
        let doc = try document([
            ("default.json", #"{"auth_server": {"port": 8081, "views": {"login": "login", "dialog": "dialog"}}, "list": [1, 2]}"#),
            ("test.json", #"{"auth_server": {"views": {"login": "mine"}}, "list": [3]}"#),
        ])
        #expect(doc.merged["auth_server.port"] == .number(8081))
        #expect(doc.merged["auth_server.views.login"] == .string("mine"))
        #expect(doc.merged["auth_server.views.dialog"] == .string("dialog"))
        #expect(doc.merged["list"] == .array([.number(3)]))
    }

    @Test func problemsNameTheFileThatSetTheValue() throws {
        let doc = try document([
            ("default.json", #"{"auth_server": {"port": 8081, "worker_timeout": 0}}"#),
            ("runtime.json", #"{"auth_server": {"port": "eighty"}}"#),
        ])
        #expect(throws: ConfigError.self) { try ServerConfig(document: doc) }
        do {
            _ = try ServerConfig(document: doc)
        } catch {
            #expect(error.problems.contains(ConfigProblem(
                file: "/etc/oauth2/runtime.json", key: "auth_server.port", message: "must be a number, not \"eighty\"")))
            #expect(error.problems.contains { $0.file == "/etc/oauth2/default.json" && $0.key == "auth_server.worker_timeout" })
        }
    }

    @Test func theSitesOptionsFollowTheSameRulesAsEveryKey() throws {
        let strings = try ServerConfig(document: document([
            ("default.json", #"""
                {"resource_server": {"type": "http", "ssl": "true", "timeout": "2.5", "allow_bad_ssl_cert": "false", "user_agent": 7,
                                     "login": {"token_cookie": "remember_me"}}}
                """#),
        ]))
        #expect(strings.resourceServer.ssl, "\"ssl\": \"true\" is true, as everywhere")
        #expect(strings.resourceServer.timeoutSeconds == 2.5)
        #expect(!strings.resourceServer.allowBadSSLCertificate)
        #expect(strings.resourceServer.userAgent == "7")
        do {
            _ = try ServerConfig(document: document([
                ("default.json", #"{"resource_server": {"ssl": "yes", "timeout": "ten", "basic_auth": {"user": "x"}}}"#),
            ]))
            Issue.record("expected problems")
        } catch let error as ConfigError {
            let messages = error.problems.map(\.description)
            #expect(messages.contains("/etc/oauth2/default.json: resource_server.ssl: must be true or false, not a string"), "\(messages)")
            #expect(messages.contains("/etc/oauth2/default.json: resource_server.timeout: must be a number, not \"ten\""), "\(messages)")
            #expect(messages.contains { $0.hasPrefix("/etc/oauth2/default.json: resource_server.basic_auth: must be a string") }, "\(messages)")
        }
    }

    @Test func theNodeOriginalsStyleOfValuesIsAccepted() throws {
        let doc = try document([("default.json", #"""
            {"auth_server": {"port": "8081", "num_workers": "auto", "ssl_cert": null, "ssl_key": null, "session_secret": "x"},
             "storage": {"audit": {"type": "Postgres", "options": {"user": "postgres", "password": "", "database": "oauth2",
                                    "host": "127.0.0.1", "port": "5432", "ssl": true}},
                         "default": {"type": "Redis", "db": 2, "host": "127.0.0.1", "port": 6379, "ttl": 0, "options": {}},
                         "test_audit": {"type": "Blackhole"}},
             "logging": {"level": "warning", "short_sid": true}}
            """#)])
        let config = try ServerConfig(document: doc)
        #expect(config.authServer.port == 8081)
        #expect(config.authServer.workers == .auto)
        #expect(config.authServer.ssl == false)
        #expect(config.logging.level == .warn)
        guard case .postgres(let options) = config.storage.backend(for: .audit) else {
            Issue.record("audit should be Postgres")
            return
        }
        #expect(options.port == 5432)
        #expect(options.ssl)
        guard case .redis(let redis) = config.storage.backend(for: .tokens) else {
            Issue.record("tokens should fall back to default (Redis)")
            return
        }
        #expect(redis.db == 2)
        // The Node original's `test_audit` is no group of this server: read and checked, then left aside.
        #expect(config.warnings.map(\.description).contains {
            $0.hasPrefix("/etc/oauth2/default.json: storage.test_audit: is not a storage group this server uses")
        }, "\(config.warnings)")
    }

    @Test func aRedisGroupMayNameSentinelsAndWaitForReplicas() throws {
        let doc = try document([("default.json", #"""
            {"storage": {"default": {"type": "Redis", "master_name": "oauth2", "wait_replicas": "1",
                                     "sentinels": [{"host": "10.0.0.1", "port": 26379}, {"host": "10.0.0.2", "port": "26380"}]}}}
            """#)])
        guard case .redis(let redis) = try ServerConfig(document: doc).storage.backend(for: .tokens) else {
            Issue.record("tokens should be in Redis")
            return
        }
        #expect(redis.masterName == "oauth2" && redis.waitReplicas == 1)
        #expect(redis.sentinels == [.init(host: "10.0.0.1", port: 26379), .init(host: "10.0.0.2", port: 26380)])

        for (storage, expected) in [
            (#"{"type": "Redis", "sentinels": [{"host": "10.0.0.1", "port": 26379}]}"#, "storage.default.master_name: is required with sentinels"),
            (#"{"type": "Redis", "master_name": "oauth2"}"#, "storage.default.sentinels: is required with master_name"),
            (#"{"type": "Redis", "master_name": "oauth2", "sentinels": []}"#, "storage.default.sentinels: must be a non-empty list"),
            (#"{"type": "Redis", "master_name": "oauth2", "sentinels": [{"host": "10.0.0.1"}]}"#, "storage.default.sentinels: item 0 must be"),
            (#"{"type": "Redis", "wait_replicas": -1}"#, "storage.default.wait_replicas"),
        ] {
            let doc = try document([("default.json", #"{"storage": {"default": \#(storage)}}"#)])
            do {
                _ = try ServerConfig(document: doc)
                Issue.record("\(storage) was accepted")
            } catch {
                #expect(error.description.contains("default.json: \(expected)"), "\(error.description)")
            }
        }
    }

    @Test func aPostgresGroupMayNameSeveralHostsInOrder() throws {
        let single = ("default.json", #"{"storage": {"users": {"type": "Postgres", "options": {"user": "oauth2", "host": "10.0.0.9", "port": 5432}}}}"#)
        let doc = try document([
            single,
            ("runtime.json", #"""
                {"storage": {"users": {"options": {"hosts": [{"host": "10.0.0.5", "port": 5432}, {"host": "db-b", "port": "5433"}]}}}}
                """#),
        ])
        let config = try ServerConfig(document: doc)
        guard case .postgres(let postgres) = config.storage.backend(for: .users) else {
            Issue.record("users should be in PostgreSQL")
            return
        }
        #expect(postgres.candidates == [.init(host: "10.0.0.5", port: 5432), .init(host: "db-b", port: 5433)])
        #expect(postgres.description == "Postgres oauth2@10.0.0.5:5432,db-b:5433/oauth2")
        let warnings = config.warnings.map(\.description)
        #expect(warnings.contains("/etc/oauth2/default.json: storage.users.options.host: is ignored: options.hosts names the servers"), "\(warnings)")
        #expect(warnings.contains("/etc/oauth2/default.json: storage.users.options.port: is ignored: options.hosts names the servers"), "\(warnings)")

        // Without `hosts`, `host` and `port` are the one server.
        guard case .postgres(let one) = try ServerConfig(document: document([single])).storage.backend(for: .users) else {
            Issue.record("users should be in PostgreSQL")
            return
        }
        #expect(one.candidates == [.init(host: "10.0.0.9", port: 5432)])

        for (hosts, expected) in [
            (#""10.0.0.5:5432""#, "storage.users.options.hosts: must be a non-empty list of {\"host\": ..., \"port\": ...}, not a string"),
            ("[]", "storage.users.options.hosts: must be a non-empty list"),
            (#"[{"host": "10.0.0.5", "port": 5432}, {"host": "10.0.0.6"}]"#, "storage.users.options.hosts: item 1 must be {\"host\": \"...\", \"port\": 1-65535}"),
            (#"[{"host": "", "port": 5432}]"#, "storage.users.options.hosts: item 0 must be"),
            (#"[{"host": "10.0.0.5", "port": 70000}]"#, "storage.users.options.hosts: item 0 must be"),
        ] {
            let doc = try document([("runtime.json", #"{"storage": {"users": {"type": "Postgres", "options": {"hosts": \#(hosts)}}}}"#)])
            do {
                _ = try ServerConfig(document: doc)
                Issue.record("\(hosts) was accepted")
            } catch {
                #expect(error.description.contains("/etc/oauth2/runtime.json: \(expected)"), "\(error.description)")
            }
        }
    }

    @Test func workerCountMustBeAutoOrAPositiveNumber() throws {
        for bad in [#""many""#, "0", "-2", "2.5"] {
            let doc = try document([("default.json", #"{"auth_server": {"num_workers": \#(bad)}}"#)])
            #expect(throws: ConfigError.self, "num_workers \(bad)") { try ServerConfig(document: doc) }
        }
        let doc = try document([("default.json", #"{"auth_server": {"num_workers": "4"}}"#)])
        #expect(try ServerConfig(document: doc).authServer.workers == .fixed(4))
    }

    @Test func connectionLimitsAreNumbersOrAuto() throws {
        let defaults = try ServerConfig(document: document([]))
        #expect(defaults.authServer.maxConnections == nil && defaults.authServer.idleTimeout == 15)
        #expect(defaults.authServer.requestHeaderTimeout == 10)
        let set = try ServerConfig(document: document([("default.json",
            #"{"auth_server": {"max_connections": "500", "idle_timeout": "2.5", "request_header_timeout": 4}}"#)]))
        #expect(set.authServer.maxConnections == 500 && set.authServer.idleTimeout == 2.5 && set.authServer.requestHeaderTimeout == 4)
        #expect(try ServerConfig(document: document([("default.json", #"{"auth_server": {"max_connections": "auto"}}"#)]))
            .authServer.maxConnections == nil)
        for (key, bad) in [("max_connections", "0"), ("max_connections", #""lots""#), ("idle_timeout", "0"), ("request_header_timeout", #""ten""#)] {
            let doc = try document([("default.json", #"{"auth_server": {"\#(key)": \#(bad)}}"#)])
            do {
                _ = try ServerConfig(document: doc)
                Issue.record("\(key) \(bad) was accepted")
            } catch {
                #expect(error.description.contains("default.json") && error.description.contains("auth_server.\(key)"), "\(error.description)")
            }
        }
    }

    @Test func sslRequiresReadableCertificateAndKey() throws {
        let doc = try document([("default.json", #"{"auth_server": {"ssl": true, "ssl_cert": "/nonexistent/cert.pem"}}"#)])
        do {
            _ = try ServerConfig(document: doc)
            Issue.record("expected a configuration error")
        } catch {
            let text = error.description
            #expect(text.contains("auth_server.ssl_cert: file /nonexistent/cert.pem does not exist or cannot be read"))
            #expect(text.contains("auth_server.ssl_key: is required when auth_server.ssl is true"))
        }
    }

    @Test func urlDefaultsFromHostAndPortAndMustBeAbsolute() throws {
        let plain = try ServerConfig(document: document([("default.json", #"{"auth_server": {"port": 9000}}"#)]))
        #expect(plain.authServer.url == "http://127.0.0.1:9000")
        let trailing = try ServerConfig(document: document([("default.json", #"{"auth_server": {"url": "https://id.example.com/"}}"#)]))
        #expect(trailing.authServer.url == "https://id.example.com")
        #expect(throws: ConfigError.self) {
            try ServerConfig(document: document([("default.json", #"{"auth_server": {"url": "id.example.com"}}"#)]))
        }
    }

    @Test func environmentVariablesPreferOurNamesThenNodeNames() {
        #expect(ConfigLocation.fromEnvironment([:]) == ConfigLocation(directory: "./etc", environmentName: "development"))
        #expect(ConfigLocation.fromEnvironment(["NODE_CONFIG_DIR": "/n", "NODE_ENV": "prod"])
            == ConfigLocation(directory: "/n", environmentName: "prod", environmentIsNamed: true))
        #expect(ConfigLocation.fromEnvironment(["NODE_CONFIG_DIR": "/n", "OAUTH2_CONFIG_DIR": "/o", "NODE_ENV": "a", "OAUTH2_ENV": "b"])
            == ConfigLocation(directory: "/o", environmentName: "b", environmentIsNamed: true))
        #expect(ConfigLocation(directory: "/o", environmentName: "b").fileNames == ["default.json", "b.json", "runtime.json"])
    }

    @Test func loadingReportsSyntaxErrorsPerFileAndSkipsMissingFiles() throws {
        let directory = NSTemporaryDirectory() + "config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try #"{"logging": {"level": "debug"}}"#.write(toFile: "\(directory)/default.json", atomically: true, encoding: .utf8)
        let location = ConfigLocation(directory: directory, environmentName: "absent")
        #expect(try ConfigDocument.load(from: location).layers.count == 1)

        try "[1, 2".write(toFile: "\(directory)/runtime.json", atomically: true, encoding: .utf8)
        do {
            _ = try ConfigDocument.load(from: location)
            Issue.record("expected a syntax error")
        } catch {
            #expect(error.problems.count == 1)
            #expect(error.problems[0].file == "\(directory)/runtime.json")
            #expect(error.problems[0].message.hasPrefix("is not valid JSON"))
        }
        #expect(throws: ConfigError.self) {
            try ConfigDocument.load(from: ConfigLocation(directory: "/nonexistent", environmentName: "x"))
        }
    }

    @Test func aNamedEnvironmentWithoutItsFileIsAnError() throws {
        let directory = NSTemporaryDirectory() + "config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "{}".write(toFile: "\(directory)/default.json", atomically: true, encoding: .utf8)
        // Unnamed, the development file may be missing; named (OAUTH2_ENV=prodcution, a typo), it may not.
        #expect(try ConfigDocument.load(from: .fromEnvironment(["OAUTH2_CONFIG_DIR": directory])).layers.count == 1)
        do {
            _ = try ConfigDocument.load(from: .fromEnvironment(["OAUTH2_CONFIG_DIR": directory, "NODE_ENV": "prodcution"]))
            Issue.record("expected the missing environment file to be an error")
        } catch {
            #expect(error.problems.count == 1)
            #expect(error.problems[0].file == "\(directory)/prodcution.json")
            #expect(error.problems[0].message.contains("names the environment \"prodcution\""))
        }
    }

    @Test func onlyColdChangesNeedNewWorkers() throws {
        let base = try ServerConfig(document: document([("default.json", #"{"auth_server": {"port": 8081}}"#)]))
        let louder = try ServerConfig(document: document([
            ("default.json", #"{"auth_server": {"port": 8081, "num_workers": 7, "worker_timeout": 9}, "logging": {"level": "debug"}}"#),
        ]))
        #expect(ConfigChange(from: base, to: louder) == ConfigChange(needsNewWorkers: false, addressChanged: false))
        let moved = try ServerConfig(document: document([("default.json", #"{"auth_server": {"port": 8082}}"#)]))
        #expect(ConfigChange(from: base, to: moved) == ConfigChange(needsNewWorkers: true, addressChanged: true))
        let otherSite = try ServerConfig(document: document([
            ("default.json", #"{"auth_server": {"port": 8081}, "resource_server": {"port": 9999}}"#),
        ]))
        #expect(ConfigChange(from: base, to: otherSite).needsNewWorkers)
    }

    /// Found by scripts/fuzz (config): a number too large for Int64 where text is expected trapped
    /// (`oauth2-server check-config`, or the supervisor reloading the file).
    @Test func anyNumberIsReadAsTextWhereTextIsExpected() throws {
        let config = try ServerConfig(document: document([
            ("default.json", #"{"auth_server": {"host": 1e300, "session_secret": 12345}}"#),
        ]))
        #expect(config.authServer.host == "1e+300")
        #expect(config.authServer.sessionSecret == "12345")
        do {
            _ = try ServerConfig(document: document([("default.json", #"{"logging": {"level": 9.3e18}}"#)]))
            Issue.record("expected a problem")
        } catch let error as ConfigError {
            #expect(error.description.contains("logging.level: must be one of"), "\(error.description)")
            #expect(error.description.contains("not \"9.3e+18\""), "\(error.description)")
        }
    }

    @Test func autoWorkerCountFollowsTheCgroupQuota() {
        #expect(WorkerCount.cpus(fromCgroupCPUMax: "max 100000\n") == nil)
        #expect(WorkerCount.cpus(fromCgroupCPUMax: "150000 100000\n") == 2)
        #expect(WorkerCount.cpus(fromCgroupCPUMax: "50000 100000") == 1)
        #expect(WorkerCount.auto.resolved(cgroupCPUMax: "100000 100000") == 1)
        #expect(WorkerCount.auto.resolved(cgroupCPUMax: nil) >= 1)
        #expect(WorkerCount.fixed(5).resolved(cgroupCPUMax: "100000 100000") == 5)
    }

    @Test func keysNothingReadsAreWarningsNamingFileAndKey() throws {
        let config = try ServerConfig(document: document([
            ("default.json", #"""
                {"//": "a comment", "auth_server": {"hostname": "127.0.0.1", "//port": "comment", "views": {"logn": "login"}},
                 "storage": {"session": {"type": "Redis", "sentinals": ["10.0.0.1:26379"], "options": {"pasword": "x"}},
                             "sesion": {"type": "Sqlite", "path": "/tmp/x.sqlite"}},
                 "resource_server": {"type": "http", "login": {"token_coookie": "a", "token_field": "token"}}}
                """#),
            ("runtime.json", #"{"logging": {"levl": "debug"}}"#),
        ]))
        let warnings = config.warnings.map(\.description)
        for expected in [
            "/etc/oauth2/default.json: storage.session.sentinals: is not a key this server reads",
            "/etc/oauth2/default.json: storage.session.options.pasword: is not a key this server reads",
            "/etc/oauth2/default.json: storage.sesion: is not a storage group this server uses",
            "/etc/oauth2/default.json: auth_server.views.logn: is not a key this server reads",
            "/etc/oauth2/default.json: resource_server.login.token_coookie: is not a key this server reads",
            "/etc/oauth2/runtime.json: logging.levl: is not a key this server reads",
        ] {
            #expect(warnings.contains { $0.hasPrefix(expected) }, "\(expected)\n\(warnings)")
        }
        #expect(warnings.count == 6, "comments and the Node original's auth_server.hostname are not reported: \(warnings)")
        #expect(try ServerConfig(document: document([])).warnings.isEmpty)
    }

    @Test func theHTTPSitesOwnKeysAreCheckedWithTheRestOfTheConfiguration() throws {
        let broken = try document([
            ("default.json", #"""
                {"resource_server": {"type": "http", "scopes": "read-only",
                 "api": {"p": {"method": "FETCH", "path": "/p"}, "q": 3}, "login": {"path": "login"}}}
                """#),
        ])
        do {
            _ = try ServerConfig(document: broken)
            Issue.record("expected problems")
        } catch {
            let messages = error.problems.map(\.description)
            for expected in [
                "/etc/oauth2/default.json: resource_server.login: set exactly one of token_cookie",
                "/etc/oauth2/default.json: resource_server.login.path: must be a path starting with /",
                "/etc/oauth2/default.json: resource_server.scopes: must be an array of strings",
                "/etc/oauth2/default.json: resource_server.api.p.method: must be one of GET",
                "/etc/oauth2/default.json: resource_server.api.q: must be an object",
            ] {
                #expect(messages.contains { $0.hasPrefix(expected) }, "\(expected)\n\(messages)")
            }
        }
        let site = try ServerConfig(document: document([
            ("default.json", #"{"resource_server": {"type": "http", "login": {"token_field": "token"}, "api": {"p": {"method": "post", "path": "/p"}}}}"#),
        ])).resourceServer.site
        guard case .http(let options) = site else {
            Issue.record("expected the http site's options")
            return
        }
        #expect(options.tokenSource == .jsonField("token"))
        #expect(options.endpoints["p"] == HTTPSiteOptions.Endpoint(scope: "read-only", method: "POST", path: "/p"))
    }
}
