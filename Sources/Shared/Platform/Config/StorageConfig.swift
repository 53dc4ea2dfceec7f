/// `storage`: one backend per data group, with `default` as the catch-all (docs/operators.md, storage).
package struct StorageConfig: Sendable, Equatable {
    /// The backends the config names for groups of their own.
    package var backends: [StorageGroup: StorageBackendConfig]
    /// `storage.default`: the backend of every group the config does not name.
    package var fallback: StorageBackendConfig?

    /// The backend for `group`, falling back to `default`, then to the embedded store.
    package func backend(for group: StorageGroup) -> StorageBackendConfig {
        backends[group] ?? fallback ?? .sqlite(path: "oauth2.sqlite", ttl: 0)
    }

    init(reader: inout ConfigReader) {
        backends = [:]
        // Keys starting with "//" are comments, as in the shipped etc/ files.
        for name in (reader.object("storage") ?? [:]).keys.sorted() where !name.hasPrefix("//") {
            // Checked like any group whatever its name, so a misspelt one still names its problems.
            let backend = StorageBackendConfig(group: name, reader: &reader)
            if name == "default" {
                fallback = backend
            } else if let group = StorageGroup(rawValue: name) {
                backends[group] = backend
            } else {
                // A misspelt name (`sesion`) would leave its real group on `default` without a word.
                reader.warn(ConfigKeyPath(["storage", name]),
                    "is not a storage group this server uses (\((["default"] + StorageGroup.names).joined(separator: ", "))); it is ignored")
            }
        }
    }
}

/// One storage group's backend and its settings.
package enum StorageBackendConfig: Sendable, Equatable {
    case redis(RedisOptions)
    case postgres(PostgresOptions)
    case sqlite(path: String, ttl: Int)
    case blackhole

    package static let typeNames = ["Redis", "Postgres", "Sqlite", "Blackhole"]
    /// The keys some backend type reads, as patterns under `storage.<group>` (`options.port`).
    static let keysOfAnyType = Settings.sections.flatMap(\.entries).map(\.key).filter { $0.keys.first == "storage" }

    /// Seconds records live (0 = no expiry); blackhole keeps nothing.
    package var ttl: Int {
        switch self {
        case .redis(let options): options.ttl
        case .postgres(let options): options.ttl
        case .sqlite(_, let ttl): ttl
        case .blackhole: 0
        }
    }

    package struct RedisOptions: Sendable, Equatable {
        package var host: String
        package var port: Int
        package var db: Int
        package var ttl: Int
        package var password: String?
        /// With Redis Sentinel: the sentinels to ask, in order, for the primary of `masterName`
        /// (`host` and `port` are then not used).
        package var sentinels: [RedisAddress]
        package var masterName: String?
        /// Replicas every write must reach (Redis `WAIT`) before the answer that depends on it
        /// leaves; 0: Redis's asynchronous replication only.
        package var waitReplicas: Int

        /// For logs and messages: `Redis 127.0.0.1:6379/0`, or `Redis oauth2 (Sentinel)/0`.
        package var description: String {
            "Redis \(masterName.map { "\($0) (Sentinel)" } ?? "\(host):\(port)")/\(db)"
        }

        package init(
            host: String, port: Int, db: Int, ttl: Int, password: String?,
            sentinels: [RedisAddress] = [], masterName: String? = nil, waitReplicas: Int = 0
        ) {
            self.host = host
            self.port = port
            self.db = db
            self.ttl = ttl
            self.password = password
            self.sentinels = sentinels
            self.masterName = masterName
            self.waitReplicas = waitReplicas
        }
    }

    /// A server's host and port: a Redis sentinel, or one of PostgreSQL's `hosts`.
    package struct ServerAddress: Sendable, Hashable, CustomStringConvertible {
        package var host: String
        package var port: Int

        package init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    package typealias RedisAddress = ServerAddress

    package struct PostgresOptions: Sendable, Hashable {
        package var host: String
        package var port: Int
        package var user: String
        package var password: String
        package var database: String
        package var ssl: Bool
        package var ttl: Int
        /// `options.hosts`: the servers to try, in order, for the read-write primary; when empty,
        /// `host` and `port` are the only one.
        package var hosts: [ServerAddress]

        package init(
            host: String, port: Int, user: String, password: String, database: String, ssl: Bool, ttl: Int, hosts: [ServerAddress] = []
        ) {
            self.host = host
            self.port = port
            self.user = user
            self.password = password
            self.database = database
            self.ssl = ssl
            self.ttl = ttl
            self.hosts = hosts
        }

        /// The servers to try for the primary, in order.
        package var candidates: [ServerAddress] { hosts.isEmpty ? [ServerAddress(host: host, port: port)] : hosts }

        /// For logs and messages: `Postgres oauth2@10.0.0.5:5432/oauth2`, or with several
        /// hosts `Postgres oauth2@10.0.0.5:5432,10.0.0.6:5432/oauth2`.
        package var description: String {
            "Postgres \(user)@\(candidates.map(\.description).joined(separator: ","))/\(database)"
        }
    }

    init?(group: String, reader: inout ConfigReader) {
        let base = ConfigKeyPath(["storage", group])
        guard reader.object(base) != nil else { return nil }
        // Layers merge key by key, so a group that production.json turns from Sqlite into Redis
        // keeps default.json's `path`. Keys some backend type reads are therefore not unknown
        // in any group; only keys no type reads (a misspelt `sentinals`) are.
        for key in Self.keysOfAnyType { reader.accept(key.filling(group)) }
        let ttl = reader.read(Settings.Storage.ttl, for: group)
        guard let type = reader.read(Settings.Storage.type, for: group) else {
            if reader.value(base.appending("type")) == nil {
                reader.fail(base.appending("type"), "is required: one of \(Self.typeNames.joined(separator: ", "))")
            }
            return nil
        }
        switch type {
        case "Redis":
            let sentinels = reader.read(Settings.Redis.sentinels, for: group)
            let masterName = reader.read(Settings.Redis.masterName, for: group)
            if !sentinels.isEmpty && masterName == nil {
                reader.fail(base.appending("master_name"), "is required with sentinels: the name the sentinels monitor the primary under")
            } else if sentinels.isEmpty && masterName != nil {
                reader.fail(base.appending("sentinels"), "is required with master_name: a list of {\"host\": ..., \"port\": ...}")
            }
            self = .redis(RedisOptions(
                host: reader.read(Settings.Redis.host, for: group),
                port: reader.read(Settings.Redis.port, for: group),
                db: reader.read(Settings.Redis.db, for: group),
                ttl: ttl,
                password: reader.read(Settings.Redis.password, for: group),
                sentinels: sentinels,
                masterName: masterName,
                waitReplicas: reader.read(Settings.Redis.waitReplicas, for: group)
            ))
        case "Postgres":
            let hosts = reader.read(Settings.Postgres.hosts, for: group)
            if !hosts.isEmpty {
                for setting in [Settings.Postgres.host.entry, Settings.Postgres.port.entry] {
                    let key = setting.key.filling(group)
                    if reader.value(key) != nil { reader.warn(key, "is ignored: options.hosts names the servers") }
                }
            }
            self = .postgres(PostgresOptions(
                host: reader.read(Settings.Postgres.host, for: group),
                port: reader.read(Settings.Postgres.port, for: group),
                user: reader.read(Settings.Postgres.user, for: group),
                password: reader.read(Settings.Postgres.password, for: group),
                database: reader.read(Settings.Postgres.database, for: group),
                ssl: reader.read(Settings.Postgres.ssl, for: group),
                ttl: ttl,
                hosts: hosts
            ))
        case "Sqlite":
            let path = reader.read(Settings.Sqlite.path, for: group)
            self = .sqlite(path: reader.document.location.resolveForWriting(path), ttl: ttl)
        case "Blackhole":
            self = .blackhole
        default:
            // Not one of `typeNames`: its declaration has named the problem.
            return nil
        }
    }
}

extension SettingRule where Value == [StorageBackendConfig.ServerAddress] {
    /// `sentinels`, PostgreSQL's `hosts`: a list of `{"host": ..., "port": ...}` (a port may be
    /// written as a string).
    static var serverAddresses: SettingRule<[StorageBackendConfig.ServerAddress]> {
        SettingRule(type: "list of `{\"host\": string, \"port\": 1–65535}`", defaultText: "none") { reader, key in
            guard let value = reader.value(key) else { return [] }
            guard case .array(let items) = value, !items.isEmpty else {
                reader.fail(key, "must be a non-empty list of {\"host\": ..., \"port\": ...}, not \(value.typeName)")
                return []
            }
            var addresses: [StorageBackendConfig.ServerAddress] = []
            for (index, item) in items.enumerated() {
                let port: Int?
                switch item[ConfigKeyPath(["port"])] {
                case .number(let number)? where number == number.rounded() && (1...65535).contains(number): port = Int(number)
                case .string(let text)?: port = Int(text).flatMap { (1...65535).contains($0) ? $0 : nil }
                default: port = nil
                }
                guard case .string(let host)? = item[ConfigKeyPath(["host"])], !host.isEmpty, let port else {
                    reader.fail(key, "item \(index) must be {\"host\": \"...\", \"port\": 1-65535}")
                    continue
                }
                addresses.append(StorageBackendConfig.ServerAddress(host: host, port: port))
            }
            return addresses
        }
    }
}
