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
        var sqlite: [String: (SQLiteDatabase, OutageMonitor)] = [:]
        var postgres: [StorageBackendConfig.PostgresOptions: (PostgresDatabase, OutageMonitor)] = [:]
        var redis: [RedisEndpoint: (RedisClient, OutageMonitor)] = [:]
        var stores: [StorageGroup: any RecordStore] = [:]
        var audit: (any AuditLog)?

        for group in StorageGroup.allCases {
            let backend = config.backend(for: group)
            let name = group.rawValue
            switch backend {
            case .sqlite(let path, let ttl):
                if sqlite[path] == nil {
                    let database = try await SQLiteDatabase.open(path: path, logger: logger)
                    sqlite[path] = (database, OutageMonitor(backend: "Sqlite \(path)", eventLoop: eventLoopGroup.next(), logger: logger))
                }
                let (database, monitor) = sqlite[path]!
                let measured = StorageMetrics(backend: "sqlite", group: name, factory: metrics)
                stores[group] = MonitoredStore(
                    SQLiteRecordStore(group: name, defaultTTL: ttl, database: database), monitor: monitor, metrics: measured)
                if group == .audit {
                    audit = MonitoredAuditLog(SQLiteAuditLog(group: name, database: database), monitor: monitor, metrics: measured)
                }
            case .postgres(let options):
                let key = options.connectionKey
                if postgres[key] == nil {
                    let database = PostgresDatabase(options: options, logger: logger)
                    postgres[key] = (database, OutageMonitor(backend: database.description, eventLoop: eventLoopGroup.next(), logger: logger))
                }
                let (database, monitor) = postgres[key]!
                let measured = StorageMetrics(backend: "postgres", group: name, factory: metrics)
                stores[group] = MonitoredStore(
                    PostgresRecordStore(group: name, defaultTTL: options.ttl, database: database), monitor: monitor, metrics: measured)
                if group == .audit {
                    audit = MonitoredAuditLog(PostgresAuditLog(group: name, database: database), monitor: monitor, metrics: measured)
                }
            case .redis(let options):
                let key = RedisEndpoint(options)
                if redis[key] == nil {
                    let client = RedisClient(options, eventLoopGroup: eventLoopGroup, logger: logger)
                    redis[key] = (client, OutageMonitor(
                        backend: options.description, timeout: nil, eventLoop: eventLoopGroup.next(), logger: logger))
                }
                let (client, monitor) = redis[key]!
                let measured = StorageMetrics(backend: "redis", group: name, factory: metrics)
                stores[group] = MonitoredStore(
                    RedisRecordStore(group: name, defaultTTL: options.ttl, client: client, waitReplicas: options.waitReplicas),
                    monitor: monitor, metrics: measured)
                if group == .audit { audit = MonitoredAuditLog(RedisAuditLog(group: name, client: client), monitor: monitor, metrics: measured) }
            case .blackhole:
                stores[group] = BlackholeStore(group: name)
                if group == .audit { audit = BlackholeStore(group: name) }
            }
        }
        return StorageRegistry(
            stores: stores, audit: GroupCommitAuditLog(audit ?? BlackholeStore(group: StorageGroup.audit.rawValue)),
            auditRetention: config.backend(for: .audit).ttl,
            sqliteDatabases: sqlite.values.map(\.0), postgresDatabases: postgres.values.map(\.0),
            redisClients: redis.values.map(\.0), logger: logger)
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
