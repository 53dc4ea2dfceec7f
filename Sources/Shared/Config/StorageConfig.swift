/// `storage`: one backend per data group, with `default` as the catch-all (seed section 7.2).
public struct StorageConfig: Sendable, Equatable {
    /// The groups the server itself reads and writes.
    public static let groups = ["session", "codes", "tokens", "refresh_tokens", "users", "audit"]

    public var backends: [String: StorageBackendConfig]

    /// The backend for `group`, falling back to `default`, then to the embedded store.
    public func backend(for group: String) -> StorageBackendConfig {
        backends[group] ?? backends["default"] ?? .sqlite(path: "oauth2.sqlite", ttl: 0)
    }

    init(reader: inout ConfigReader) {
        backends = [:]
        // Keys starting with "//" are comments, as in the shipped etc/ files.
        for group in (reader.object("storage") ?? [:]).keys.sorted() where !group.hasPrefix("//") {
            if let backend = StorageBackendConfig(group: group, reader: &reader) {
                backends[group] = backend
            }
            if group != "default" && !Self.groups.contains(group) {
                // Checked like any group, but a misspelt name (`sesion`) would leave its real
                // group on `default` without a word.
                reader.warn(ConfigKeyPath(["storage", group]),
                    "is not a storage group this server uses (\((["default"] + Self.groups).joined(separator: ", "))); it is ignored")
            }
        }
    }
}

/// One storage group's backend and its settings.
public enum StorageBackendConfig: Sendable, Equatable {
    case redis(RedisOptions)
    case postgres(PostgresOptions)
    case sqlite(path: String, ttl: Int)
    case blackhole

    public static let typeNames = ["Redis", "Postgres", "Sqlite", "Blackhole"]
    static let keysOfAnyType = ["path", "host", "port", "db"]
    static let optionsOfAnyType = ["user", "password", "database", "host", "port", "ssl"]

    /// Seconds records live (0 = no expiry); blackhole keeps nothing.
    public var ttl: Int {
        switch self {
        case .redis(let options): options.ttl
        case .postgres(let options): options.ttl
        case .sqlite(_, let ttl): ttl
        case .blackhole: 0
        }
    }

    public struct RedisOptions: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var db: Int
        public var ttl: Int
        public var password: String?

        public init(host: String, port: Int, db: Int, ttl: Int, password: String?) {
            self.host = host
            self.port = port
            self.db = db
            self.ttl = ttl
            self.password = password
        }
    }

    public struct PostgresOptions: Sendable, Hashable {
        public var host: String
        public var port: Int
        public var user: String
        public var password: String
        public var database: String
        public var ssl: Bool
        public var ttl: Int

        public init(host: String, port: Int, user: String, password: String, database: String, ssl: Bool, ttl: Int) {
            self.host = host
            self.port = port
            self.user = user
            self.password = password
            self.database = database
            self.ssl = ssl
            self.ttl = ttl
        }
    }

    init?(group: String, reader: inout ConfigReader) {
        let base = ConfigKeyPath(["storage", group])
        guard reader.object(base) != nil else { return nil }
        // Layers merge key by key, so a group that production.json turns from Sqlite into Redis
        // keeps default.json's `path`. Keys some backend type reads are therefore not unknown
        // in any group; only keys no type reads (a misspelt `sentinals`) are.
        for key in Self.keysOfAnyType { reader.accept(base.appending(key)) }
        for key in Self.optionsOfAnyType { reader.accept(base.appending("options").appending(key)) }
        let ttl = reader.integer(base.appending("ttl"), default: 0, in: 0...Int(Int32.max))
        guard let type = reader.string(base.appending("type")) else {
            reader.fail(base.appending("type"), "is required: one of \(Self.typeNames.joined(separator: ", "))")
            return nil
        }
        switch type {
        case "Redis":
            let options = base.appending("options")
            self = .redis(RedisOptions(
                host: reader.string(base.appending("host"), default: "127.0.0.1"),
                port: reader.integer(base.appending("port"), default: 6379, in: 1...65535),
                db: reader.integer(base.appending("db"), default: 0, in: 0...1024),
                ttl: ttl,
                password: reader.string(options.appending("password"))
            ))
        case "Postgres":
            let options = base.appending("options")
            self = .postgres(PostgresOptions(
                host: reader.string(options.appending("host"), default: "127.0.0.1"),
                port: reader.integer(options.appending("port"), default: 5432, in: 1...65535),
                user: reader.string(options.appending("user"), default: "postgres"),
                password: reader.string(options.appending("password"), default: ""),
                database: reader.string(options.appending("database"), default: "oauth2"),
                ssl: reader.bool(options.appending("ssl"), default: false),
                ttl: ttl
            ))
        case "Sqlite":
            let path = reader.string(base.appending("path"), default: "oauth2.sqlite")
            self = .sqlite(path: reader.document.location.resolveForWriting(path), ttl: ttl)
        case "Blackhole":
            self = .blackhole
        default:
            reader.fail(base.appending("type"), "unknown storage type \"\(type)\": use one of \(Self.typeNames.joined(separator: ", "))")
            return nil
        }
    }
}
