import CoreMetrics
import Foundation
import Logging
import NIOCore
import SharedPlatform

/// The stores of every group, opened from the `storage` config. Groups that name the same
/// server (or SQLite file) share one connection pool, and one outage monitor, so an outage is
/// logged once however many groups live there.
package final class StorageRegistry: Sendable {
    /// Every group's store: `open` makes one for each.
    private let stores: [StorageGroup: any RecordStore]
    package let audit: any AuditLog
    private let sqliteDatabases: [SQLiteDatabase]
    /// Seconds audit records are kept (`storage.audit.ttl`); 0 keeps them for ever.
    private let auditRetention: Int
    private let postgresDatabases: [PostgresDatabase]
    private let redisClients: [RedisClient]
    private let logger: Logger

    /// The store of `group`.
    package func store(_ group: StorageGroup) -> any RecordStore { stores[group]! }

    /// Every group's store, for health checks.
    package var allStores: [any RecordStore] { StorageGroup.allCases.map(store) }

    /// Opens what every group needs. SQLite files are opened now (a file that cannot be opened
    /// is a boot failure); servers are connected to on first use, so one that is down at boot
    /// only makes the requests that need it answer 503 until it is back.
    /// - Parameter metrics: where each group's operation times and outages are counted.
    package static func open(
        _ config: StorageConfig, eventLoopGroup: any EventLoopGroup, metrics: any MetricsFactory = NOOPMetricsHandler.instance, logger: Logger
    ) async throws -> StorageRegistry {
        var sqlite = SharedBackends<String, SQLiteDatabase>()
        var postgres = SharedBackends<StorageBackendConfig.PostgresOptions, PostgresDatabase>()
        var redis = SharedBackends<RedisEndpoint, RedisClient>()
        var groups = OpenedGroups(metrics: metrics)

        for group in StorageGroup.allCases {
            switch config.backend(for: group) {
            case .sqlite(let path, let ttl):
                let (database, monitor) = try await sqlite.backend(for: path) {
                    let database = try await SQLiteDatabase.open(path: path, logger: logger)
                    return (database, OutageMonitor(backend: "Sqlite \(path)", eventLoop: eventLoopGroup.next(), logger: logger))
                }
                groups.add(
                    group, backend: "sqlite", monitor: monitor,
                    store: { SQLiteRecordStore(group: $0, defaultTTL: ttl, database: database) },
                    audit: { SQLiteAuditLog(group: $0, database: database) })
            case .postgres(let options):
                let (database, monitor) = await postgres.backend(for: options.connectionKey) {
                    let database = PostgresDatabase(options: options, logger: logger)
                    return (database, OutageMonitor(backend: database.description, timeout: nil, eventLoop: eventLoopGroup.next(), logger: logger))
                }
                groups.add(
                    group, backend: "postgres", monitor: monitor,
                    store: { PostgresRecordStore(group: $0, defaultTTL: options.ttl, database: database) },
                    audit: { PostgresAuditLog(group: $0, database: database) })
            case .redis(let options):
                let (client, monitor) = await redis.backend(for: RedisEndpoint(options)) {
                    (RedisClient(options, eventLoopGroup: eventLoopGroup, logger: logger),
                     OutageMonitor(backend: options.description, timeout: nil, eventLoop: eventLoopGroup.next(), logger: logger))
                }
                groups.add(
                    group, backend: "redis", monitor: monitor,
                    store: { RedisRecordStore(group: $0, defaultTTL: options.ttl, client: client, waitReplicas: options.waitReplicas) },
                    audit: { RedisAuditLog(group: $0, client: client) })
            case .blackhole:
                groups.stores[group] = BlackholeStore(group: group.rawValue)
                if group == .audit { groups.audit = BlackholeStore(group: group.rawValue) }
            }
        }
        return StorageRegistry(
            stores: groups.stores, audit: GroupCommitAuditLog(groups.audit ?? BlackholeStore(group: StorageGroup.audit.rawValue)),
            auditRetention: config.backend(for: .audit).ttl,
            sqliteDatabases: sqlite.clients, postgresDatabases: postgres.clients, redisClients: redis.clients, logger: logger)
    }

    private init(
        stores: [StorageGroup: any RecordStore], audit: any AuditLog, auditRetention: Int, sqliteDatabases: [SQLiteDatabase],
        postgresDatabases: [PostgresDatabase], redisClients: [RedisClient], logger: Logger
    ) {
        self.stores = stores
        self.audit = audit
        self.auditRetention = auditRetention
        self.sqliteDatabases = sqliteDatabases
        self.postgresDatabases = postgresDatabases
        self.redisClients = redisClients
        self.logger = logger
    }

    /// Runs the PostgreSQL pools, checkpoints SQLite files, and every few minutes purges expired
    /// SQL rows and the audit records older than the audit group's `ttl`, until cancelled.
    /// A purge covers a whole file or database, so it runs once per database, not per group.
    package func run(purgeInterval: Duration = .seconds(300)) async {
        await withDiscardingTaskGroup { group in
            for database in postgresDatabases {
                group.addTask { await database.run() }
            }
            for database in sqliteDatabases {
                group.addTask { await database.runCheckpoints() }
            }
            let (sqlite, postgres, logger, audit, retention) = (sqliteDatabases, postgresDatabases, self.logger, self.audit, auditRetention)
            group.addTask {
                func purge(_ operation: () async throws -> Void) async {
                    do { try await operation() } catch { logger.debug("purging expired records failed: \(error)") }
                }
                // Start at a random point, so the workers of a host do not purge in step.
                try? await Task.sleep(for: purgeInterval * Double.random(in: 0.2...1))
                while !Task.isCancelled {
                    for database in sqlite { await purge { try await SQLiteDialect(database).purgeExpired() } }
                    for database in postgres { await purge { try await PostgresDialect(database).purgeExpired() } }
                    if retention > 0 {
                        await purge {
                            let purged = try await audit.purge(before: Date().addingTimeInterval(-TimeInterval(retention)))
                            if purged > 0 { logger.info("purged \(purged) audit records older than \(retention) s (storage.audit.ttl)") }
                        }
                    }
                    try? await Task.sleep(for: purgeInterval)
                }
            }
        }
    }

    /// Closes connections; call after `run()` has returned.
    package func shutdown() async {
        for database in sqliteDatabases { await database.close() }
        for client in redisClients { await client.shutdown() }
    }
}

/// The backends of one kind opened so far, each with its outage monitor, by what makes groups
/// share one (an SQLite file, a PostgreSQL server and database, a Redis server).
private struct SharedBackends<Key: Hashable, Client> {
    private var opened: [Key: (client: Client, monitor: OutageMonitor)] = [:]

    var clients: [Client] { opened.values.map(\.client) }

    /// The backend under `key`, opened by `open` if no group has opened it yet.
    mutating func backend(for key: Key, open: () async throws -> (Client, OutageMonitor)) async rethrows -> (Client, OutageMonitor) {
        if let backend = opened[key] { return backend }
        let backend = try await open()
        opened[key] = backend
        return backend
    }
}

/// Every group's store, and the audit log, as `StorageRegistry.open` makes them.
private struct OpenedGroups {
    let metrics: any MetricsFactory
    var stores: [StorageGroup: any RecordStore] = [:]
    var audit: (any AuditLog)?

    /// Adds `group`'s store on a backend, through its outage monitor and timed; the audit group
    /// gets its audit log there too.
    mutating func add(
        _ group: StorageGroup, backend: String, monitor: OutageMonitor,
        store: (String) -> any RecordStore, audit makeAudit: (String) -> any AuditLog
    ) {
        let measured = StorageMetrics(backend: backend, group: group.rawValue, factory: metrics)
        stores[group] = MonitoredStore(store(group.rawValue), monitor: monitor, metrics: measured)
        if group == .audit { audit = MonitoredAuditLog(makeAudit(group.rawValue), monitor: monitor, metrics: measured) }
    }
}

/// What makes two Redis groups share a client.
struct RedisEndpoint: Hashable {
    let host: String
    let port: Int
    let db: Int
    let password: String?
    let sentinels: [StorageBackendConfig.RedisAddress]
    let masterName: String?

    init(_ options: StorageBackendConfig.RedisOptions) {
        host = options.host
        port = options.port
        db = options.db
        password = options.password
        sentinels = options.sentinels
        masterName = options.masterName
    }
}

extension StorageBackendConfig.PostgresOptions {
    /// The same server, credentials and database, whatever the ttl.
    var connectionKey: StorageBackendConfig.PostgresOptions {
        var key = self
        key.ttl = 0
        return key
    }
}
