import Logging
import NIOCore
import SharedPlatform

/// A non-blocking Redis client: a small pool of pipelined connections on NIO event loops, with
/// hiredis used only to encode commands and parse replies. Safe to share between tasks.
///
/// Each connection authenticates and selects the database before its first command. A lost
/// connection is replaced on demand, so while Redis is down commands fail quickly with
/// `unavailable`, and they work again by themselves once it is back.
package final class RedisClient: Sendable {
    private let pool: RedisConnectionPool
    /// With Sentinel: the subscription that tells the pool when the primary moves.
    private let failoverWatch: RedisFailoverWatch?

    /// - Parameters:
    ///   - password: sent with `AUTH`; nil or empty sends none (as the Node original treated an empty one).
    ///   - connectionCount: connections in the pool; commands are spread round robin and
    ///     pipelined on each.
    ///   - connectTimeout: bounds connecting, which happens lazily inside `send`.
    ///   - commandTimeout: bounds each command from the moment it is written, and `AUTH`/`SELECT`.
    package init(
        host: String,
        port: Int,
        database: Int,
        password: String?,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        sentinels: [StorageBackendConfig.RedisAddress] = [],
        masterName: String? = nil,
        connectionCount: Int = 4,
        connectTimeout: Duration = .seconds(2),
        commandTimeout: Duration = .seconds(3)
    ) {
        var logger = logger
        let source: RedisPrimaryLocator.Source
        if let masterName, !sentinels.isEmpty {
            source = .sentinel(sentinels: sentinels, masterName: masterName)
            logger[metadataKey: "redis"] = "\(masterName)/\(database)"
        } else {
            source = .fixed(host: host, port: port)
            logger[metadataKey: "redis"] = "\(host):\(port)/\(database)"
        }
        let locator = RedisPrimaryLocator(source, connectTimeout: connectTimeout, commandTimeout: commandTimeout, logger: logger)
        let settings = RedisConnection.Settings(
            host: host, port: port, database: database,
            password: password?.isEmpty == false ? password : nil, requirePrimary: locator.requiresPrimary,
            connectTimeout: connectTimeout, commandTimeout: commandTimeout)
        let pool = RedisConnectionPool(
            settings: settings, locator: locator, size: connectionCount, eventLoopGroup: eventLoopGroup, logger: logger)
        self.pool = pool
        if let masterName, !sentinels.isEmpty {
            failoverWatch = RedisFailoverWatch(
                sentinels: sentinels, masterName: masterName, connectTimeout: connectTimeout, eventLoopGroup: eventLoopGroup,
                logger: logger, moved: { pool.reconnectAll() })
            failoverWatch?.start()
        } else {
            failoverWatch = nil
        }
    }

    /// A client for a configured Redis group: its address, or its sentinels and master name.
    package convenience init(
        _ options: StorageBackendConfig.RedisOptions, eventLoopGroup: any EventLoopGroup, logger: Logger, connectionCount: Int = 4
    ) {
        self.init(
            host: options.host, port: options.port, database: options.db, password: options.password,
            eventLoopGroup: eventLoopGroup, logger: logger, sentinels: options.sentinels, masterName: options.masterName,
            connectionCount: connectionCount)
    }

    /// Sends one command, e.g. `[SET, key, value, EX, 60]`, and returns its reply. Arguments are
    /// binary-safe. An error reply from Redis is thrown (`serverError`), never returned, so a
    /// returned reply is always a success; errors inside an array reply (`EVAL`) stay values.
    ///
    /// Consecutive calls may run on different connections, so connection state does not carry
    /// over between them: use a Lua script (`EVAL`), not `MULTI`/`EXEC` or `WATCH`, for atomic
    /// steps. Cancelling the calling task does not recall a command already written; the call
    /// still ends within the command timeout.
    package func send(_ arguments: [[UInt8]]) async throws(RedisClientError) -> RedisReply {
        try await pipeline([arguments])[0]
    }

    /// Sends several commands on one connection in one write and returns their replies in
    /// order: one round trip instead of one per command. Not a transaction: another client's
    /// commands may run between them (use `EVAL` where that matters). Any error reply is thrown.
    package func pipeline(_ commands: [[[UInt8]]]) async throws(RedisClientError) -> [RedisReply] {
        let encoded = commands.map(RedisCommandEncoder.encode)
        let connection = try await pool.connection()
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for future in connection.send(batch: encoded) {
            let reply: RedisReply
            do {
                reply = try await future.get()
            } catch let error as RedisClientError {
                throw error
            } catch {
                throw RedisClientError(kind: .unavailable, message: "\(error)")
            }
            // Error replies are thrown, so a returned reply is always a success.
            if case .error(let message) = reply {
                if message.hasPrefix("READONLY") {
                    // The server was demoted by a failover: an outage until the new primary is found.
                    pool.discard(connection)
                    throw RedisClientError(kind: .unavailable, message: message)
                }
                throw RedisClientError(kind: .serverError, message: message)
            }
            replies.append(reply)
        }
        return replies
    }

    /// Sends a command whose arguments are all text, e.g. `send("GET", key)`.
    package func send(_ arguments: String...) async throws(RedisClientError) -> RedisReply {
        try await send(arguments.map { Array($0.utf8) })
    }

    /// Closes every connection. Commands in flight and any sent later fail with `unavailable`.
    package func shutdown() async {
        await failoverWatch?.stop()
        await pool.shutdown()
    }
}
