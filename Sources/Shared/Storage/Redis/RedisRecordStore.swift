import Foundation

/// A storage group kept in Redis, as the Node original keeps expiring state. Keys are namespaced by
/// group (`oauth2:<group>:r:<key>`), so groups may share a Redis database. An index is a sorted
/// set scored by each member's expiry, so members expire one by one like SQL rows do.
package struct RedisRecordStore: RecordStore {
    package let group: String
    package let defaultTTL: Int
    let client: RedisClient
    /// `wait_replicas`: replicas each write must reach before it counts as done.
    let waitReplicas: Int

    package init(group: String, defaultTTL: Int, client: RedisClient, waitReplicas: Int = 0) {
        self.group = group
        self.defaultTTL = defaultTTL
        self.client = client
        self.waitReplicas = waitReplicas
    }

    /// How long a write waits for its replicas; longer is an outage (503).
    static let replicaWait = 1000

    /// Sends the commands of a write. With `wait_replicas`, Redis `WAIT` follows them on the same
    /// connection, in the same round trip: the write counts only once that many replicas have
    /// it, so a failover to one of them cannot lose it. Redis's replication is otherwise
    /// asynchronous: a primary that dies can take its last writes with it.
    private func write(_ commands: [[[UInt8]]]) async throws -> [RedisReply] {
        guard waitReplicas > 0 else { return try await client.pipeline(commands) }
        let replies = try await client.pipeline(commands + [[
            Array("WAIT".utf8), Array(String(waitReplicas).utf8), Array(String(Self.replicaWait).utf8),
        ]])
        guard case .integer(let acknowledged)? = replies.last, acknowledged >= waitReplicas else {
            throw RedisClientError(
                kind: .unavailable,
                message: "a write reached \(replies.last.map { "\($0)" } ?? "no") replicas within \(Self.replicaWait) ms, not the \(waitReplicas) of wait_replicas")
        }
        return Array(replies.dropLast())
    }

    private func write(_ command: [[UInt8]]) async throws -> RedisReply {
        try await write([command])[0]
    }

    private func recordKey(_ key: String) -> [UInt8] { Array("oauth2:\(group):r:\(key)".utf8) }
    private func indexKey(_ index: String) -> [UInt8] { Array("oauth2:\(group):i:\(index)".utf8) }

    package func put(_ key: String, _ value: [UInt8], ttl: Int?) async throws {
        try check(await write(setCommand(key, value, ttl: ttl)))
    }

    /// SET … NX: one atomic command, and Redis forgets expired keys by itself.
    package func insert(_ key: String, _ value: [UInt8], ttl: Int?) async throws -> Bool {
        // OK when stored; a nil reply when a live key was there.
        try check(await write(setCommand(key, value, ttl: ttl) + [Array("NX".utf8)])) == .status("OK")
    }

    private func setCommand(_ key: String, _ value: [UInt8], ttl: Int?) -> [[UInt8]] {
        let seconds = effectiveTTL(ttl)
        var command = [Array("SET".utf8), recordKey(key), value]
        if seconds > 0 { command += [Array("EX".utf8), Array(String(seconds).utf8)] }
        return command
    }

    private func indexCommand(_ index: String, member: String, ttl: Int?) -> [[UInt8]] {
        let expiry = StorageClock.expiry(afterSeconds: effectiveTTL(ttl)).map(String.init) ?? "+inf"
        return [Array("ZADD".utf8), indexKey(index), Array(expiry.utf8), Array(member.utf8)]
    }

    package func put(_ key: String, _ value: [UInt8], ttl: Int?, indexedIn index: String) async throws {
        _ = try await write([setCommand(key, value, ttl: ttl), indexCommand(index, member: key, ttl: ttl)])
    }

    /// One pipeline on one connection: Redis runs its commands in order, so the EXISTS reads
    /// after the SET and ZADD, as a separate GET would, one round trip sooner.
    package func put(_ key: String, _ value: [UInt8], ttl: Int?, indexedIn index: String, thenLookFor marker: String) async throws -> Bool {
        let replies = try await write([
            setCommand(key, value, ttl: ttl), indexCommand(index, member: key, ttl: ttl), [Array("EXISTS".utf8), recordKey(marker)],
        ])
        for reply in replies { try check(reply) }
        guard case .integer(let found) = replies[2] else { throw RedisCommandFailed(message: "unexpected reply to EXISTS") }
        return found == 1
    }

    /// One script, so the members read are the members deleted.
    private static let deleteIndexedScript = RedisScript("""
        local members = redis.call('ZRANGE', KEYS[1], 0, -1)
        for _, member in ipairs(members) do redis.call('DEL', ARGV[1] .. member) end
        redis.call('DEL', KEYS[1])
        return #members
        """)

    package func deleteIndexed(_ index: String) async throws {
        try check(await Self.deleteIndexedScript.run(
            keys: [indexKey(index)], arguments: [Array("oauth2:\(group):r:".utf8)], through: write))
    }

    package func get(_ key: String) async throws -> [UInt8]? {
        try bulk(await client.send([Array("GET".utf8), recordKey(key)]))
    }

    /// One script: the record, and whether its marker exists. Records are written compactly
    /// (`"field":"id"`, ids without quotes or escapes), so a pattern finds the id.
    private static let unlessMarkedScript = RedisScript("""
        local value = redis.call('GET', KEYS[1])
        if not value then return false end
        local id = string.match(value, ARGV[1])
        if id and redis.call('EXISTS', ARGV[2] .. id) == 1 then return false end
        return value
        """)

    package func get(_ key: String, unlessMarkedBy marker: RecordMarker) async throws -> [UInt8]? {
        let field = marker.field.filter { $0.isLetter || $0.isNumber || $0 == "_" }  // no pattern magic
        return try bulk(await Self.unlessMarkedScript.run(
            keys: [recordKey(key)], arguments: [Array("\"\(field)\":\"([^\"]+)\"".utf8), recordKey(marker.keyPrefix)],
            through: client.send))
    }

    package func delete(_ key: String) async throws {
        try check(await write([Array("DEL".utf8), recordKey(key)]))
    }

    package func take(_ key: String) async throws -> [UInt8]? {
        // GETDEL (Redis 6.2+) is one atomic command.
        try bulk(await write([Array("GETDEL".utf8), recordKey(key)]))
    }

    package func addToIndex(_ index: String, member: String, ttl: Int?) async throws {
        try check(await write(indexCommand(index, member: member, ttl: ttl)))
    }

    package func removeFromIndex(_ index: String, member: String) async throws {
        try check(await write([Array("ZREM".utf8), indexKey(index), Array(member.utf8)]))
    }

    package func members(ofIndex index: String) async throws -> [String] {
        let now = String(StorageClock.nowMilliseconds())
        // Forget members that expired, then list the rest: one round trip.
        let replies = try await client.pipeline([
            [Array("ZREMRANGEBYSCORE".utf8), indexKey(index), Array("-inf".utf8), Array(now.utf8)],
            [Array("ZRANGEBYSCORE".utf8), indexKey(index), Array("(\(now)".utf8), Array("+inf".utf8)],
        ])
        guard case .array(let items?) = replies[1] else { return [] }
        return items.compactMap { item in
            guard case .bulk(let bytes?) = item else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        }.sorted()
    }

    package func deleteIndex(_ index: String) async throws {
        try check(await write([Array("DEL".utf8), indexKey(index)]))
    }

    private func counterKey(_ key: String) -> [UInt8] { Array("oauth2:\(group):c:\(key)".utf8) }

    /// One script: the read, the increment and the new expiry are one atomic step.
    private static let countFailureScript = RedisScript("""
        local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
        local seen = redis.call('HMGET', KEYS[1], 'count', 'last')
        local count = 1
        if seen[1] and seen[2] and now - tonumber(seen[2]) <= window then count = tonumber(seen[1]) + 1 end
        redis.call('HSET', KEYS[1], 'count', count, 'last', now)
        redis.call('PEXPIRE', KEYS[1], window)
        return count
        """)

    package func countFailure(_ key: String, now: Int64, window: Int64) async throws -> FailureCount {
        let reply = try check(await Self.countFailureScript.run(
            keys: [counterKey(key)], arguments: [Array(String(now).utf8), Array(String(window).utf8)], through: client.send))
        guard case .integer(let count) = reply else { throw RedisCommandFailed(message: "unexpected reply to the failure counter script") }
        return FailureCount(count: Int(count), last: now)
    }

    package func failures(_ key: String) async throws -> FailureCount? {
        let reply = try check(await client.send([Array("HMGET".utf8), counterKey(key), Array("count".utf8), Array("last".utf8)]))
        guard case .array(let fields?) = reply, fields.count == 2, case .bulk(let count?) = fields[0], case .bulk(let last?) = fields[1],
            let countValue = Int(String(decoding: count, as: UTF8.self)), let lastValue = Int64(String(decoding: last, as: UTF8.self))
        else { return nil }
        return FailureCount(count: countValue, last: lastValue)
    }

    package func clearFailures(_ key: String) async throws {
        try check(await client.send([Array("DEL".utf8), counterKey(key)]))
    }

    package func ping() async throws {
        try check(await client.send([Array("PING".utf8)]))
    }
}

/// The audit trail in Redis: a list of JSON records, newest last.
package struct RedisAuditLog: AuditLog {
    let group: String
    let client: RedisClient

    package init(group: String, client: RedisClient) {
        self.group = group
        self.client = client
    }

    private var key: [UInt8] { Array("oauth2:\(group):audit".utf8) }

    package func append(contentsOf records: [AuditRecord]) async throws {
        guard !records.isEmpty else { return }
        // One RPUSH of every record: one command, all or none.
        try check(await client.send([Array("RPUSH".utf8), key] + records.map { try RecordCoding.encode($0) }))
    }

    /// The list is in the order records were written, oldest first: one script call trims the
    /// oldest up to 1,000 records written before the cutoff (atomically, so two workers purging
    /// at once never trim a record twice), and calls repeat while there are more.
    private static let purgeScript = RedisScript("""
        local cutoff, count = tonumber(ARGV[1]), 0
        for _, item in ipairs(redis.call('LRANGE', KEYS[1], 0, 999)) do
            local ok, record = pcall(cjson.decode, item)
            if not (ok and type(record) == 'table' and tonumber(record.at) and tonumber(record.at) < cutoff) then break end
            count = count + 1
        end
        if count > 0 then redis.call('LTRIM', KEYS[1], count, -1) end
        return count
        """)

    package func purge(before cutoff: Date) async throws -> Int {
        var purged = 0
        while true {
            let reply = try check(await Self.purgeScript.run(
                keys: [key], arguments: [Array(String(cutoff.storageMilliseconds).utf8)], through: client.send))
            guard case .integer(let count) = reply else { throw RedisCommandFailed(message: "unexpected reply to the audit purge script") }
            purged += Int(count)
            if count < 1000 { return purged }
        }
    }

    package func recent(limit: Int) async throws -> [AuditRecord] {
        let reply = try await client.send([Array("LRANGE".utf8), key, Array(String(-limit).utf8), Array("-1".utf8)])
        guard case .array(let items?) = try check(reply) else { return [] }
        return items.reversed().compactMap { item in
            guard case .bulk(let bytes?) = item else { return nil }
            return RecordCoding.decode(AuditRecord.self, bytes)
        }
    }
}

/// A reply that is a Redis error becomes a thrown error (RedisClient throws for top-level error
/// replies already; this keeps the store correct whatever client it is given).
@discardableResult
private func check(_ reply: RedisReply) throws -> RedisReply {
    if case .error(let message) = reply { throw RedisCommandFailed(message: message) }
    return reply
}

private func bulk(_ reply: RedisReply) throws -> [UInt8]? {
    switch try check(reply) {
    case .bulk(let bytes): return bytes
    default: return nil
    }
}

/// Redis answered a command with an error reply.
struct RedisCommandFailed: Error, CustomStringConvertible {
    let message: String
    var description: String { "Redis: \(message)" }
}
