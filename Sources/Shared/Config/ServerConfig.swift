import Foundation

/// The whole validated configuration, built from a merged `ConfigDocument`.
///
/// Keys keep the meaning they have in the Node original (seed sections 5.1, 6.1, 7.2, 7.3);
/// keys it did not have are documented in etc/default.json.
public struct ServerConfig: Sendable, Equatable {
    public var authServer: AuthServerConfig
    public var clientCredentials: ClientCredentialsConfig
    public var storage: StorageConfig
    public var resourceServer: ResourceServerConfig
    public var logging: LoggingConfig
    /// The merged document this was built from, as the supervisor hands it to workers.
    public let document: ConfigDocument
    /// What is odd but does not stop the server, with file and key: keys nothing reads, storage
    /// groups nothing uses. Errors under `check-config --strict`.
    public let warnings: [ConfigProblem]

    /// Reads and validates; throws every problem at once.
    public init(document: ConfigDocument) throws(ConfigError) {
        var reader = ConfigReader(document: document)
        self.authServer = AuthServerConfig(reader: &reader)
        self.clientCredentials = ClientCredentialsConfig(reader: &reader)
        self.storage = StorageConfig(reader: &reader)
        self.resourceServer = ResourceServerConfig(reader: &reader)
        self.logging = LoggingConfig(reader: &reader)
        self.document = document
        guard reader.problems.isEmpty else { throw ConfigError(reader.problems) }
        reader.warnAboutUnreadKeys()
        self.warnings = reader.warnings
    }

    /// Loads the files named by `location` and validates them.
    public static func load(from location: ConfigLocation) throws(ConfigError) -> ServerConfig {
        try ServerConfig(document: ConfigDocument.load(from: location))
    }
}

/// `auth_server`: the HTTP(S) listener and the worker processes.
public struct AuthServerConfig: Sendable, Equatable {
    /// The public URL clients and browsers see (behind a reverse proxy, the proxy's).
    public var url: String
    public var host: String
    public var port: Int
    public var ssl: Bool
    public var sslCertificatePath: String?
    public var sslKeyPath: String?
    public var sessionSecret: String
    /// Derives the key that seals the signing keys at rest; nil: derived from `sessionSecret`
    /// instead (a warning at start: changing the session secret then makes the keys unreadable).
    public var keysSecret: String?
    /// Seconds an ID token lives.
    public var idTokenTTL: Int
    /// Seconds a new signing key is published (in the JWKS) before `rotate-keys` may make it
    /// sign; the JWKS cache lifetime and how often workers look for new keys derive from it.
    public var keyStagingSeconds: Int
    public var workers: WorkerCount
    /// Seconds without a heartbeat after which a worker is considered hung and replaced.
    public var workerTimeout: Double
    /// Seconds a stopping worker may spend finishing in-flight requests.
    public var shutdownTimeout: Double
    /// Take the client address for logs from X-Real-IP / X-Forwarded-For (only behind a proxy you run).
    public var behindProxy: Bool
    public var backlog: Int
    /// Connections one worker holds at most; nil: sized from its file-descriptor limit.
    public var maxConnections: Int?
    /// Seconds an idle keep-alive connection (or a body that stopped arriving) is kept.
    public var idleTimeout: Double
    /// Seconds a request's headers may take to arrive in full.
    public var requestHeaderTimeout: Double
    /// Seconds during which a just-rotated refresh token presented again (a retry, two instances
    /// refreshing at once) gets the pair it was rotated into instead of ending its grant; 0: never.
    public var refreshTokenGraceSeconds: Int
    /// The folder of the page templates, and which template each page uses.
    public var viewsDirectory: String
    public var views: [String: String]
    public var throttling: ThrottlingConfig
    public var metrics: MetricsConfig

    init(reader: inout ConfigReader) {
        port = reader.integer("auth_server.port", default: 8081, in: 1...65535)
        host = reader.string("auth_server.host", default: "0.0.0.0")
        // The Node original's files name the public host here (its tests built URLs from it);
        // `url` says that now. Accepted so an existing deployment's files read without warnings.
        reader.accept("auth_server.hostname")
        sslCertificatePath = reader.string("auth_server.ssl_cert").map(reader.document.location.resolve)
        sslKeyPath = reader.string("auth_server.ssl_key").map(reader.document.location.resolve)
        // As in the seed, naming a certificate and key implies ssl.
        ssl = reader.bool("auth_server.ssl", default: false) || (sslCertificatePath != nil && sslKeyPath != nil)
        url = reader.string("auth_server.url", default: "")
        if url.isEmpty {
            let shownHost = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
            url = "\(ssl ? "https" : "http")://\(shownHost):\(port)"
        }
        while url.hasSuffix("/") { url.removeLast() }
        if let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil {
            // fine
        } else {
            reader.fail("auth_server.url", "must be an absolute http:// or https:// URL, not \"\(url)\"")
        }
        sessionSecret = reader.string("auth_server.session_secret", default: "")
        keysSecret = reader.string("auth_server.keys_secret").flatMap { $0.isEmpty ? nil : $0 }
        idTokenTTL = reader.integer("auth_server.id_token_ttl", default: 3600, in: 1...86400)
        keyStagingSeconds = reader.integer("auth_server.key_staging_seconds", default: 900, in: 3...(90 * 86400))
        workers = Self.workerCount(reader: &reader)
        workerTimeout = reader.seconds("auth_server.worker_timeout", default: 30, minimum: 1)
        shutdownTimeout = reader.seconds("auth_server.shutdown_timeout", default: 30, minimum: 0)
        behindProxy = reader.bool("auth_server.behind_proxy", default: false)
        refreshTokenGraceSeconds = reader.integer("auth_server.refresh_token_grace_seconds", default: 0, in: 0...300)
        backlog = reader.integer("auth_server.backlog", default: 1024, in: 1...65535)
        maxConnections = reader.value("auth_server.max_connections") == .string("auto")
            ? nil : reader.integer("auth_server.max_connections", default: 0, in: 1...1_000_000).nonZero
        idleTimeout = reader.seconds("auth_server.idle_timeout", default: 15, minimum: 0.1)
        requestHeaderTimeout = reader.seconds("auth_server.request_header_timeout", default: 10, minimum: 0.1)
        throttling = ThrottlingConfig(reader: &reader)
        metrics = MetricsConfig(reader: &reader, serverHost: host, serverPort: port)
        viewsDirectory = reader.document.location.resolve(reader.string("auth_server.views_dir", default: "views"))
        views = ["layout": "layout", "login": "login", "dialog": "dialog", "review": "review", "error": "error"]
        for page in views.keys.sorted() {
            if let name = reader.string(ConfigKeyPath(["auth_server", "views", page])) { views[page] = name }
        }
        if sessionSecret.isEmpty {
            reader.fail("auth_server.session_secret", "is required: it signs the session cookies (use a long random value)")
        }

        if ssl {
            for (key, path) in [("ssl_cert", sslCertificatePath), ("ssl_key", sslKeyPath)] {
                let keyPath = ConfigKeyPath(["auth_server", key])
                if let path {
                    if !FileManager.default.isReadableFile(atPath: path) {
                        reader.fail(keyPath, "file \(path) does not exist or cannot be read")
                    }
                } else {
                    reader.fail(keyPath, "is required when auth_server.ssl is true")
                }
            }
        }
    }

    private static func workerCount(reader: inout ConfigReader) -> WorkerCount {
        let key: ConfigKeyPath = "auth_server.num_workers"
        switch reader.value(key) {
        case nil, .string("auto")?:
            return .auto
        case .string(let text)? where Int(text) == nil:
            reader.fail(key, "must be \"auto\" or a whole number of at least 1, not \"\(text)\"")
            return .auto
        default:
            return .fixed(reader.integer(key, default: 1, in: 1...1024))
        }
    }
}

/// `client_credentials`: where the registered clients are listed.
public struct ClientCredentialsConfig: Sendable, Equatable {
    public var file: String

    init(reader: inout ConfigReader) {
        file = reader.document.location.resolve(reader.string("client_credentials.file", default: "clients.json"))
    }
}

/// `logging`: level and how much of an identifier may be shown.
public struct LoggingConfig: Sendable, Equatable {
    public var level: LogLevelName
    /// Show session ids and tokens as their first and last four characters only.
    public var shortSID: Bool

    init(reader: inout ConfigReader) {
        let text = reader.string("logging.level", default: "notice")
        if let level = LogLevelName(configValue: text) {
            self.level = level
        } else {
            reader.fail("logging.level", "must be one of \(LogLevelName.acceptedNames.joined(separator: ", ")), not \"\(text)\"")
            self.level = .notice
        }
        shortSID = reader.bool("logging.short_sid", default: true)
    }
}

/// `resource_server`: which site implementation the workers use and where it lives.
/// Each type's own keys are read by `SiteOptions`.
public struct ResourceServerConfig: Sendable, Equatable {
    public var type: String
    public var host: String
    public var port: Int
    /// How the server talks to the site (read by the same rules as every key: `"ssl": "true"`
    /// is true, `"timeout": "ten"` an error).
    public var ssl: Bool
    /// Seconds every call to the site may take.
    public var timeoutSeconds: Double
    public var allowBadSSLCertificate: Bool
    /// `user:password` for HTTP Basic on every call to the site.
    public var basicAuth: String?
    public var userAgent: String?
    /// The options of `type`: `.dummy` when the type is unknown (a problem is recorded then).
    public var site: SiteOptions

    init(reader: inout ConfigReader) {
        type = reader.string("resource_server.type", default: "dummy")
        host = reader.string("resource_server.host", default: "127.0.0.1")
        port = reader.integer("resource_server.port", default: 8084, in: 1...65535)
        ssl = reader.bool("resource_server.ssl", default: false)
        timeoutSeconds = reader.seconds("resource_server.timeout", default: 10, minimum: 0.1)
        allowBadSSLCertificate = reader.bool("resource_server.allow_bad_ssl_cert", default: false)
        basicAuth = reader.string("resource_server.basic_auth")
        userAgent = reader.string("resource_server.user_agent")
        site = SiteOptions.read(type: type, reader: &reader) ?? .dummy
    }
}

extension Int {
    /// Nil for 0, the "not set" of a config number whose default is computed.
    fileprivate var nonZero: Int? { self == 0 ? nil : self }
}

extension AuthServerConfig {
    /// The secret the signing keys are sealed under: `keys_secret`, else the session secret.
    public var signingKeysSecret: String { keysSecret ?? sessionSecret }

    /// How long relying parties may cache the JWKS: well inside the staging time, so every
    /// relying party has fetched a next key before it signs.
    public var jwksMaxAge: Int { max(1, keyStagingSeconds / 3) }

    /// How often a worker looks for changed keys by itself (SIGHUP makes it look at once).
    public var keyRefreshSeconds: Int { max(1, min(60, keyStagingSeconds / 4)) }
}

extension ServerConfig {
    /// Seconds a retired signing key stays in the JWKS: the longest a token it signed lives (ID
    /// tokens; JWT access tokens too when a client gets them, as long as the `tokens` group's
    /// `ttl`, 7200 s unless set), plus the time a worker may take to notice that it retired.
    public func retiredKeyRetentionSeconds(clients: ClientRegistry) -> Int {
        var longest = authServer.idTokenTTL
        if clients.clients.contains(where: { $0.accessTokenFormat == .jwt }) {
            let access = storage.backend(for: "tokens").ttl
            longest = max(longest, access > 0 ? access : 7200)
        }
        return longest + authServer.keyRefreshSeconds
    }
}
