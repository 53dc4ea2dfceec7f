import Foundation

/// The whole validated configuration, built from a merged `ConfigDocument`.
///
/// Keys keep the meaning they have in the Node original (jlabusch/oauth2-server); keys it did
/// not have are documented in etc/default.json, and every key in docs/settings.md.
package struct ServerConfig: Sendable, Equatable {
    package var authServer: AuthServerConfig
    package var clientCredentials: ClientCredentialsConfig
    package var storage: StorageConfig
    package var resourceServer: ResourceServerConfig
    package var logging: LoggingConfig
    /// The merged document this was built from, as the supervisor hands it to workers.
    package let document: ConfigDocument
    /// What is odd but does not stop the server, with file and key: keys nothing reads, storage
    /// groups nothing uses. Errors under `check-config --strict`.
    package let warnings: [ConfigProblem]

    /// Reads and validates; throws every problem at once.
    package init(document: ConfigDocument) throws(ConfigError) {
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
    package static func load(from location: ConfigLocation) throws(ConfigError) -> ServerConfig {
        try ServerConfig(document: ConfigDocument.load(from: location))
    }
}

/// `auth_server`: the HTTP(S) listener and the worker processes.
package struct AuthServerConfig: Sendable, Equatable {
    /// The public URL clients and browsers see (behind a reverse proxy, the proxy's).
    package var url: String
    package var host: String
    package var port: Int
    package var ssl: Bool
    package var sslCertificatePath: String?
    package var sslKeyPath: String?
    package var sessionSecret: String
    /// Derives the key that seals the signing keys at rest; nil: derived from `sessionSecret`
    /// instead (a warning at start: changing the session secret then makes the keys unreadable).
    package var keysSecret: String?
    /// Seconds an ID token lives.
    package var idTokenTTL: Int
    /// Seconds a new signing key is published (in the JWKS) before `rotate-keys` may make it
    /// sign; the JWKS cache lifetime and how often workers look for new keys derive from it.
    package var keyStagingSeconds: Int
    package var workers: WorkerCount
    /// Seconds without a heartbeat after which a worker is considered hung and replaced.
    package var workerTimeout: Double
    /// Seconds a stopping worker may spend finishing in-flight requests.
    package var shutdownTimeout: Double
    /// Take the client address for logs from X-Real-IP / X-Forwarded-For (only behind a proxy you run).
    package var behindProxy: Bool
    package var backlog: Int
    /// Connections one worker holds at most; nil: sized from its file-descriptor limit.
    package var maxConnections: Int?
    /// Seconds an idle keep-alive connection (or a body that stopped arriving) is kept.
    package var idleTimeout: Double
    /// Seconds a request's headers may take to arrive in full.
    package var requestHeaderTimeout: Double
    /// Seconds during which a just-rotated refresh token presented again (a retry, two instances
    /// refreshing at once) gets the pair it was rotated into instead of ending its grant; 0: never.
    package var refreshTokenGraceSeconds: Int
    /// The folder of the page templates, and which template each page uses.
    package var viewsDirectory: String
    package var views: [String: String]
    package var throttling: ThrottlingConfig
    package var metrics: MetricsConfig

    init(reader: inout ConfigReader) {
        port = reader.read(Settings.AuthServer.port)
        host = reader.read(Settings.AuthServer.host)
        // The Node original's files name the public host here (its tests built URLs from it);
        // `url` says that now. Accepted so an existing deployment's files read without warnings.
        reader.accept("auth_server.hostname")
        sslCertificatePath = reader.read(Settings.AuthServer.sslCertificate).map(reader.document.location.resolve)
        sslKeyPath = reader.read(Settings.AuthServer.sslKey).map(reader.document.location.resolve)
        // As in the Node original, naming a certificate and key implies ssl.
        ssl = reader.read(Settings.AuthServer.ssl) || (sslCertificatePath != nil && sslKeyPath != nil)
        url = reader.read(Settings.AuthServer.url) ?? ""
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
        sessionSecret = reader.read(Settings.AuthServer.sessionSecret) ?? ""
        keysSecret = reader.read(Settings.AuthServer.keysSecret).flatMap { $0.isEmpty ? nil : $0 }
        idTokenTTL = reader.read(Settings.AuthServer.idTokenTTL)
        keyStagingSeconds = reader.read(Settings.AuthServer.keyStagingSeconds)
        workers = reader.read(Settings.AuthServer.workers)
        workerTimeout = reader.read(Settings.AuthServer.workerTimeout)
        shutdownTimeout = reader.read(Settings.AuthServer.shutdownTimeout)
        behindProxy = reader.read(Settings.AuthServer.behindProxy)
        refreshTokenGraceSeconds = reader.read(Settings.AuthServer.refreshTokenGraceSeconds)
        backlog = reader.read(Settings.AuthServer.backlog)
        maxConnections = reader.read(Settings.AuthServer.maxConnections)
        idleTimeout = reader.read(Settings.AuthServer.idleTimeout)
        requestHeaderTimeout = reader.read(Settings.AuthServer.requestHeaderTimeout)
        throttling = ThrottlingConfig(reader: &reader)
        metrics = MetricsConfig(reader: &reader, serverHost: host, serverPort: port)
        viewsDirectory = reader.document.location.resolve(reader.read(Settings.AuthServer.viewsDirectory))
        views = [:]
        for page in Settings.AuthServer.views {
            views[page.key.keys.last!] = reader.read(page)
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
}

/// `client_credentials`: where the registered clients are listed.
package struct ClientCredentialsConfig: Sendable, Equatable {
    package var file: String

    init(reader: inout ConfigReader) {
        file = reader.document.location.resolve(reader.read(Settings.ClientCredentials.file))
    }
}

/// `logging`: level and how much of an identifier may be shown.
package struct LoggingConfig: Sendable, Equatable {
    package var level: LogLevelName
    /// Show session ids and tokens as their first and last four characters only.
    package var shortSID: Bool

    init(reader: inout ConfigReader) {
        level = reader.read(Settings.Logging.level)
        shortSID = reader.read(Settings.Logging.shortSID)
    }
}

/// `resource_server`: which site implementation the workers use and where it lives.
/// Each type's own keys are read by `SiteOptions`.
package struct ResourceServerConfig: Sendable, Equatable {
    package var type: String
    package var host: String
    package var port: Int
    /// How the server talks to the site (read by the same rules as every key: `"ssl": "true"`
    /// is true, `"timeout": "ten"` an error).
    package var ssl: Bool
    /// Seconds every call to the site may take.
    package var timeoutSeconds: Double
    package var allowBadSSLCertificate: Bool
    /// `user:password` for HTTP Basic on every call to the site.
    package var basicAuth: String?
    package var userAgent: String?
    /// The options of `type`: `.dummy` when the type is unknown (a problem is recorded then).
    package var site: SiteOptions

    init(reader: inout ConfigReader) {
        type = reader.read(Settings.ResourceServer.type)
        host = reader.read(Settings.ResourceServer.host)
        port = reader.read(Settings.ResourceServer.port)
        ssl = reader.read(Settings.ResourceServer.ssl)
        timeoutSeconds = reader.read(Settings.ResourceServer.timeout)
        allowBadSSLCertificate = reader.read(Settings.ResourceServer.allowBadSSLCertificate)
        basicAuth = reader.read(Settings.ResourceServer.basicAuth)
        userAgent = reader.read(Settings.ResourceServer.userAgent)
        site = SiteOptions.read(type: type, reader: &reader)
    }
}

extension AuthServerConfig {
    /// The secret the signing keys are sealed under: `keys_secret`, else the session secret.
    package var signingKeysSecret: String { keysSecret ?? sessionSecret }

    /// How long relying parties may cache the JWKS: well inside the staging time, so every
    /// relying party has fetched a next key before it signs.
    package var jwksMaxAge: Int { max(1, keyStagingSeconds / 3) }

    /// How often a worker looks for changed keys by itself (SIGHUP makes it look at once).
    package var keyRefreshSeconds: Int { max(1, min(60, keyStagingSeconds / 4)) }
}

extension ServerConfig {
    /// Seconds a retired signing key stays in the JWKS: the longest a token it signed lives (ID
    /// tokens; JWT access tokens too when a client gets them, as long as the `tokens` group's
    /// `ttl`, 7200 s unless set), plus the time a worker may take to notice that it retired.
    package func retiredKeyRetentionSeconds(clients: ClientRegistry) -> Int {
        var longest = authServer.idTokenTTL
        if clients.clients.contains(where: { $0.accessTokenFormat == .jwt }) {
            let access = storage.backend(for: .tokens).ttl
            longest = max(longest, access > 0 ? access : 7200)
        }
        return longest + authServer.keyRefreshSeconds
    }
}
