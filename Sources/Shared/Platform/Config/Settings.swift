/// Every configuration key the server reads, declared once: the readers (`ServerConfig` and the
/// types it builds) read through these declarations, `oauth2-server config-reference` prints
/// them (docs/settings.md), and a reload's in-place keys are the ones declared so here.
/// A new key is declared here, listed in its section, and read with `reader.read(...)`.
package enum Settings {
    /// `auth_server`: the listener, the workers, secrets and lifetimes.
    package enum AuthServer {
        package static let url = Setting("auth_server.url", .optionalText(unset: "`http(s)://<host>:<port>`"), reload: .rollsWorkers,
            "the public base URL browsers and clients use; behind a reverse proxy, the proxy's `https://` URL")
        package static let host = Setting("auth_server.host", .text(default: "0.0.0.0"), reload: .rollsWorkers,
            "address the supervisor listens on; a new one is opened before the new workers start (ignored under socket activation)")
        package static let port = Setting("auth_server.port", .integer(default: 8081, in: 1...65535), reload: .rollsWorkers,
            "port it listens on; as `host`")
        package static let ssl = Setting("auth_server.ssl", .flag(default: false), reload: .rollsWorkers,
            "serve HTTPS; implied by `ssl_cert` and `ssl_key`")
        package static let sslCertificate = Setting("auth_server.ssl_cert", .optionalText(unset: "none"), reload: .rollsWorkers,
            "PEM certificate chain; a renewed file rolls the workers on reload too")
        package static let sslKey = Setting("auth_server.ssl_key", .optionalText(unset: "none"), reload: .rollsWorkers,
            "PEM private key of `ssl_cert`; as `ssl_cert`")
        package static let sessionSecret = Setting("auth_server.session_secret", .optionalText(unset: "required"), reload: .rollsWorkers,
            "signs session cookies and sign-in forms, seals users' site tokens; at least 32 random characters")
        package static let keysSecret = Setting("auth_server.keys_secret", .optionalText(unset: "`session_secret`"), reload: .rollsWorkers,
            "seals the OpenID Connect signing keys at rest; the same on every host")
        package static let idTokenTTL = Setting("auth_server.id_token_ttl", .integer(default: 3600, in: 1...86400), reload: .rollsWorkers,
            "seconds an ID token lives")
        package static let keyStagingSeconds = Setting(
            "auth_server.key_staging_seconds", .integer(default: 900, in: 3...(90 * 86400)), reload: .rollsWorkers,
            "seconds a new signing key is published before `rotate-keys` may make it sign")
        package static let workers = Setting("auth_server.num_workers", .workerCount(in: 1...1024), reload: .inPlace,
            "worker processes; `\"auto\"`: one per CPU this process may use (affinity mask and cgroup quota)")
        package static let workerTimeout = Setting("auth_server.worker_timeout", .seconds(default: 30, minimum: 1), reload: .inPlace,
            "seconds without a heartbeat before a worker is killed and replaced")
        package static let shutdownTimeout = Setting("auth_server.shutdown_timeout", .seconds(default: 30, minimum: 0), reload: .inPlace,
            "seconds a stopping worker may spend on in-flight requests")
        package static let behindProxy = Setting("auth_server.behind_proxy", .flag(default: false), reload: .rollsWorkers,
            "take the client address from X-Real-IP, else the last X-Forwarded-For entry (only behind a proxy you run)")
        package static let refreshTokenGraceSeconds = Setting(
            "auth_server.refresh_token_grace_seconds", .integer(default: 0, in: 0...300), reload: .rollsWorkers,
            "seconds in which a rotated-out refresh token presented again gets the pair it was rotated into; 0: never")
        package static let backlog = Setting("auth_server.backlog", .integer(default: 1024, in: 1...65535), reload: .needsRestart,
            "listen queue length (applies on reload only with a new `host` or `port`; under socket activation, the unit's `Backlog=`)")
        package static let maxConnections = Setting("auth_server.max_connections", .integerOrAuto(in: 1...1_000_000), reload: .rollsWorkers,
            "connections one worker holds open at most; `\"auto\"`: its file-descriptor limit less 256")
        package static let idleTimeout = Setting("auth_server.idle_timeout", .seconds(default: 15, minimum: 0.1), reload: .rollsWorkers,
            "seconds an idle keep-alive connection (or a paused body) is kept open")
        package static let requestHeaderTimeout = Setting(
            "auth_server.request_header_timeout", .seconds(default: 10, minimum: 0.1), reload: .rollsWorkers,
            "seconds a request's headers may take to arrive in full; then 408")
        package static let viewsDirectory = Setting("auth_server.views_dir", .text(default: "views"), reload: .rollsWorkers,
            "folder of the page templates (Mustache)")
        /// The page templates, each named after its page unless set (`auth_server.views.login`).
        package static let views = ["layout", "login", "dialog", "review", "error"].map { page in
            Setting(ConfigKeyPath(["auth_server", "views", page]), .text(default: page), reload: .rollsWorkers,
                "the template of the \(page) page: the file `<name>.mustache` in `views_dir`")
        }
    }

    /// `auth_server.throttling`: budgets of failures before waits.
    package enum Throttling {
        package static let enabled = Setting("auth_server.throttling.enabled", .flag(default: true), reload: .rollsWorkers,
            "count failed client authentications and sign-ins, and make spent budgets wait")
        /// Every group but `audit`, whose records are never read back.
        package static let groupNames = StorageGroup.allCases.filter { $0 != .audit }.map(\.rawValue)
        package static let group = Setting(
            "auth_server.throttling.group",
            .choice(
                groupNames, default: StorageGroup.session, parse: { $0 == "audit" ? nil : StorageGroup(rawValue: $0) },
                refusal: { "must be one of the storage groups \(groupNames.joined(separator: ", ")), not \"\($0)\"" }),
            reload: .rollsWorkers, "the storage group that keeps the counters (its backend, not its `ttl`)")
        package static let clientFailures = Setting(
            "auth_server.throttling.client_failures", .integer(default: 10, in: 1...1_000_000), reload: .rollsWorkers,
            "failed client authentications per `client_id` and address before waits")
        package static let loginFailuresPerUser = Setting(
            "auth_server.throttling.login_failures_per_user", .integer(default: 5, in: 1...1_000_000), reload: .rollsWorkers,
            "failed sign-ins per username and address before waits")
        package static let loginFailuresPerAddress = Setting(
            "auth_server.throttling.login_failures_per_address", .integer(default: 50, in: 1...1_000_000), reload: .rollsWorkers,
            "failed sign-ins per address, whatever the username, before waits")
        package static let windowSeconds = Setting(
            "auth_server.throttling.window_seconds", .seconds(default: 3600, minimum: 1), reload: .rollsWorkers,
            "a counter starts again after this long without a failure (at least `longest_wait_seconds`)")
        package static let firstWaitSeconds = Setting(
            "auth_server.throttling.first_wait_seconds", .seconds(default: 2, minimum: 0.1), reload: .rollsWorkers,
            "the wait once a budget is spent")
        package static let growth = Setting("auth_server.throttling.growth", .number(default: 2, minimum: 1), reload: .rollsWorkers,
            "the wait is multiplied by this for every further failure")
        package static let longestWaitSeconds = Setting(
            "auth_server.throttling.longest_wait_seconds", .seconds(default: 900, minimum: 0.1), reload: .rollsWorkers,
            "the longest wait (at least `first_wait_seconds`)")
    }

    /// `auth_server.metrics`: the supervisor's Prometheus listener.
    package enum Metrics {
        package static let host = Setting("auth_server.metrics.host", .text(default: "127.0.0.1"), reload: .needsRestart,
            "address of the metrics listener")
        package static let port = Setting("auth_server.metrics.port", .optionalInteger(in: 1...65535, unset: "off"), reload: .needsRestart,
            "port of the metrics listener (`GET /metrics`); unset: no listener, and workers count nothing")
    }

    package enum ClientCredentials {
        package static let file = Setting("client_credentials.file", .text(default: "clients.json"), reload: .rollsWorkers,
            "the clients file (a JSON array of clients); its content is read again at every reload, in place")
    }

    package enum Logging {
        package static let level = Setting(
            "logging.level", .choice(LogLevelName.acceptedNames, default: LogLevelName.notice, parse: { LogLevelName(configValue: $0) }),
            reload: .inPlace, "the least severe level logged; `notice` includes one access-log line per request")
        package static let shortSID = Setting("logging.short_sid", .flag(default: true), reload: .inPlace,
            "log session ids by their first and last four characters only")
    }

    /// `resource_server`: the existing website, whatever its type.
    package enum ResourceServer {
        package static let type = Setting(
            "resource_server.type",
            .oneOf(SiteOptions.typeNames, default: "dummy", refusal: {
                "unknown resource server type \"\($0)\"; known types: \(SiteOptions.typeNames.joined(separator: ", "))"
            }),
            reload: .rollsWorkers, "the site integration: `dummy` (the demo site the supervisor starts) or `http`")
        package static let host = Setting("resource_server.host", .text(default: "127.0.0.1"), reload: .rollsWorkers,
            "the site's host (the dummy site is started on it)")
        package static let port = Setting("resource_server.port", .integer(default: 8084, in: 1...65535), reload: .rollsWorkers,
            "the site's port")
        package static let ssl = Setting("resource_server.ssl", .flag(default: false), reload: .rollsWorkers,
            "call the site over HTTPS")
        package static let timeout = Setting("resource_server.timeout", .seconds(default: 10, minimum: 0.1), reload: .rollsWorkers,
            "seconds every call to the site may take")
        package static let allowBadSSLCertificate = Setting("resource_server.allow_bad_ssl_cert", .flag(default: false), reload: .rollsWorkers,
            "accept a certificate the site's name does not verify with")
        package static let basicAuth = Setting("resource_server.basic_auth", .optionalText(unset: "none"), reload: .rollsWorkers,
            "`user:password` for HTTP Basic on every call to the site")
        package static let userAgent = Setting("resource_server.user_agent", .optionalText(unset: "`oauth2-server/<version>`"), reload: .rollsWorkers,
            "the User-Agent of calls to the site")
    }

    /// `resource_server` with `"type": "http"`: the site described by configuration.
    package enum HTTPSite {
        package static let scopes = Setting("resource_server.scopes", .textList(default: ["read-only", "read-write"]), reload: .rollsWorkers,
            "the site's scopes, lowest first")
        package static let scopeDescription = Setting(
            "resource_server.scope_descriptions.<scope>", .optionalText(unset: "none"), reload: .rollsWorkers,
            "what the consent page says the scope allows; `<scope>` is one of `scopes`")
        package static let loginPath = Setting("resource_server.login.path", .text(default: "/login"), reload: .rollsWorkers,
            "where the site's login form posts")
        package static let usernameField = Setting("resource_server.login.username_field", .text(default: "username"), reload: .rollsWorkers,
            "the login form's username field")
        package static let passwordField = Setting("resource_server.login.password_field", .text(default: "password"), reload: .rollsWorkers,
            "the login form's password field")
        package static let idField = Setting("resource_server.login.id_field", .text(default: "id"), reload: .rollsWorkers,
            "the field of the login's JSON answer holding the user id")
        package static let tokenCookie = Setting("resource_server.login.token_cookie", .optionalText(unset: "none"), reload: .rollsWorkers,
            "the cookie the login sets with the user's site token (exactly one of `token_cookie`, `token_field`)")
        package static let tokenField = Setting("resource_server.login.token_field", .optionalText(unset: "none"), reload: .rollsWorkers,
            "the field of the login's JSON answer holding the site token (exactly one of `token_cookie`, `token_field`)")
        package static let siteTokenName = Setting("resource_server.site_token.name", .text(default: "token"), reload: .rollsWorkers,
            "the name API calls hand the site token back under")
        package static let siteTokenSendAs = Setting(
            "resource_server.site_token.send_as", .oneOf(["cookie", "header", "query"], default: "cookie"), reload: .rollsWorkers,
            "how API calls hand the site token back")
        package static let apiScope = Setting("resource_server.api.<function>.scope", .optionalText(unset: "the first of `scopes`"),
            reload: .rollsWorkers, "the scope `/api/<function>` needs; one of `scopes`")
        package static let apiMethod = Setting(
            "resource_server.api.<function>.method",
            .choice(HTTPSiteOptions.methods, default: "GET", parse: { HTTPSiteOptions.methods.contains($0.uppercased()) ? $0.uppercased() : nil }),
            reload: .rollsWorkers, "the method of the site's call (any case)")
        package static let apiPath = Setting("resource_server.api.<function>.path", .optionalText(unset: "required"), reload: .rollsWorkers,
            "the site's path for `/api/<function>`, starting with `/`; `{user_id}` is replaced")
        package static let claim = Setting("resource_server.claims.<claim>", .optionalText(unset: "none"), reload: .rollsWorkers,
            "the field of the login's JSON answer holding an OpenID Connect claim; `<claim>` is a standard claim (\(HTTPSiteOptions.mappableClaims.joined(separator: ", ")))")
    }

    /// `storage.<group>`, whatever its backend.
    package enum Storage {
        package static let type = Setting(
            "storage.<group>.type",
            .oneOf(StorageBackendConfig.typeNames, unset: "required", refusal: {
                "unknown storage type \"\($0)\": use one of \(StorageBackendConfig.typeNames.joined(separator: ", "))"
            }),
            reload: .rollsWorkers, "the group's backend")
        package static let ttl = Setting("storage.<group>.ttl", .integer(default: 0, in: 0...Int(Int32.max)), reload: .rollsWorkers,
            "seconds the group's records live; what 0 means depends on the group (docs/operators.md)")
    }

    package enum Sqlite {
        package static let path = Setting("storage.<group>.path", .text(default: "oauth2.sqlite"), reload: .rollsWorkers,
            "the database file, relative to the working directory")
    }

    package enum Redis {
        package static let host = Setting("storage.<group>.host", .text(default: "127.0.0.1"), reload: .rollsWorkers,
            "the Redis server (without Sentinel)")
        package static let port = Setting("storage.<group>.port", .integer(default: 6379, in: 1...65535), reload: .rollsWorkers,
            "its port")
        package static let db = Setting("storage.<group>.db", .integer(default: 0, in: 0...1024), reload: .rollsWorkers,
            "the database number")
        package static let password = Setting("storage.<group>.options.password", .optionalText(unset: "none"), reload: .rollsWorkers,
            "the password (`AUTH`)")
        package static let sentinels = Setting("storage.<group>.sentinels", .serverAddresses, reload: .rollsWorkers,
            "Redis Sentinel: the sentinels to ask, in order, for the primary of `master_name` (instead of `host` and `port`)")
        package static let masterName = Setting("storage.<group>.master_name", .optionalText(unset: "none"), reload: .rollsWorkers,
            "Redis Sentinel: the name the sentinels monitor the primary under (with `sentinels`)")
        package static let waitReplicas = Setting("storage.<group>.wait_replicas", .integer(default: 0, in: 0...64), reload: .rollsWorkers,
            "replicas every write of a code, token or session must reach (Redis `WAIT`) before it counts")
    }

    package enum Postgres {
        package static let host = Setting("storage.<group>.options.host", .text(default: "127.0.0.1"), reload: .rollsWorkers,
            "the PostgreSQL server")
        package static let port = Setting("storage.<group>.options.port", .integer(default: 5432, in: 1...65535), reload: .rollsWorkers,
            "its port")
        package static let user = Setting("storage.<group>.options.user", .text(default: "postgres"), reload: .rollsWorkers,
            "the user to connect as")
        package static let password = Setting("storage.<group>.options.password", .text(default: ""), reload: .rollsWorkers,
            "its password")
        package static let database = Setting("storage.<group>.options.database", .text(default: "oauth2"), reload: .rollsWorkers,
            "the database")
        package static let ssl = Setting("storage.<group>.options.ssl", .flag(default: false), reload: .rollsWorkers,
            "connect with TLS, verifying the server's certificate")
        package static let hosts = Setting("storage.<group>.options.hosts", .serverAddresses, reload: .rollsWorkers,
            "several servers (a primary and its standbys), tried in order for the one that takes writes (instead of `host` and `port`)")
    }

    /// The reference's sections, in the order it prints them.
    package static let sections: [SettingSection] = [
        SettingSection("auth_server", note: "The listener, the workers, secrets and lifetimes.", [
            AuthServer.url.entry, AuthServer.host.entry, AuthServer.port.entry, AuthServer.ssl.entry,
            AuthServer.sslCertificate.entry, AuthServer.sslKey.entry, AuthServer.sessionSecret.entry, AuthServer.keysSecret.entry,
            AuthServer.idTokenTTL.entry, AuthServer.keyStagingSeconds.entry, AuthServer.workers.entry, AuthServer.workerTimeout.entry,
            AuthServer.shutdownTimeout.entry, AuthServer.behindProxy.entry, AuthServer.refreshTokenGraceSeconds.entry,
            AuthServer.backlog.entry, AuthServer.maxConnections.entry, AuthServer.idleTimeout.entry,
            AuthServer.requestHeaderTimeout.entry, AuthServer.viewsDirectory.entry,
        ] + AuthServer.views.map(\.entry)),
        SettingSection("auth_server.throttling", note: "Budgets of failed client authentications and sign-ins, and the waits once one is spent.", [
            Throttling.enabled.entry, Throttling.group.entry, Throttling.clientFailures.entry, Throttling.loginFailuresPerUser.entry,
            Throttling.loginFailuresPerAddress.entry, Throttling.windowSeconds.entry, Throttling.firstWaitSeconds.entry,
            Throttling.growth.entry, Throttling.longestWaitSeconds.entry,
        ]),
        SettingSection("auth_server.metrics", note: "The supervisor's `GET /metrics` for the whole server.", [
            Metrics.host.entry, Metrics.port.entry,
        ]),
        SettingSection("client_credentials", note: "Where the registered clients are listed.", [ClientCredentials.file.entry]),
        SettingSection("logging", note: "What is logged.", [Logging.level.entry, Logging.shortSID.entry]),
        SettingSection("resource_server", note: "The existing website, whatever its type.", [
            ResourceServer.type.entry, ResourceServer.host.entry, ResourceServer.port.entry, ResourceServer.ssl.entry,
            ResourceServer.timeout.entry, ResourceServer.allowBadSSLCertificate.entry, ResourceServer.basicAuth.entry,
            ResourceServer.userAgent.entry,
        ]),
        SettingSection("resource_server", type: "http", note: "A site described by configuration: its login, its token, its API and its claims.", [
            HTTPSite.scopes.entry, HTTPSite.scopeDescription.entry, HTTPSite.loginPath.entry, HTTPSite.usernameField.entry,
            HTTPSite.passwordField.entry, HTTPSite.idField.entry, HTTPSite.tokenCookie.entry, HTTPSite.tokenField.entry,
            HTTPSite.siteTokenName.entry, HTTPSite.siteTokenSendAs.entry, HTTPSite.apiScope.entry, HTTPSite.apiMethod.entry,
            HTTPSite.apiPath.entry, HTTPSite.claim.entry,
        ]),
        SettingSection(
            "storage.<group>",
            note: "Every group (`default`, \(StorageGroup.names.map { "`\($0)`" }.joined(separator: ", "))), whatever its backend; `default` serves the groups not set. Type `Blackhole` keeps nothing and reads no key of its own.",
            [Storage.type.entry, Storage.ttl.entry]),
        SettingSection("storage.<group>", type: "Sqlite", note: "The embedded database, one file per host.", [Sqlite.path.entry]),
        SettingSection("storage.<group>", type: "Redis", note: "A Redis server, or the primary Redis Sentinel names.", [
            Redis.host.entry, Redis.port.entry, Redis.db.entry, Redis.password.entry, Redis.sentinels.entry,
            Redis.masterName.entry, Redis.waitReplicas.entry,
        ]),
        SettingSection("storage.<group>", type: "Postgres", note: "A PostgreSQL database.", [
            Postgres.host.entry, Postgres.port.entry, Postgres.user.entry, Postgres.password.entry, Postgres.database.entry,
            Postgres.ssl.entry, Postgres.hosts.entry,
        ]),
    ]

    /// Every declared setting.
    package static var all: [SettingEntry] { sections.flatMap(\.entries) }
}
