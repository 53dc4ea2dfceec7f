import SharedPlatform

/// One storage group's records (sessions, codes, tokens, …): opaque values under string keys,
/// each with an expiry, plus named indexes (sets of keys) such as "the grants of user U".
///
/// Every backend (SQLite, PostgreSQL, Redis) keeps the same promises, checked by one contract
/// test suite: an expired record is never returned, and `take` hands a record to exactly one
/// caller even when many workers on many hosts ask at once.
package protocol RecordStore: Sendable {
    /// The group this store serves, for logs and errors.
    var group: String { get }
    /// Seconds records live when `put` names no lifetime (0 = forever): the group's `ttl`.
    var defaultTTL: Int { get }

    /// Stores `value` under `key` for `ttl` seconds (nil: the group's ttl; 0: no expiry), replacing any old value.
    func put(_ key: String, _ value: [UInt8], ttl: Int?) async throws
    /// Stores `value` under `key` unless a live record is there, as one atomic step: of
    /// concurrent callers on any worker or host exactly one gets true. For records written once
    /// and never replaced (each version of the signing keys).
    func insert(_ key: String, _ value: [UInt8], ttl: Int?) async throws -> Bool
    func get(_ key: String) async throws -> [UInt8]?
    /// The record under `key`, unless the record `marker` names for it exists: then it counts as
    /// absent. One round trip where the backend allows (a script, one trip to the reader).
    func get(_ key: String, unlessMarkedBy marker: RecordMarker) async throws -> [UInt8]?
    func delete(_ key: String) async throws
    /// Removes and returns the record in one atomic step: of concurrent callers, one gets it.
    func take(_ key: String) async throws -> [UInt8]?

    /// Adds `member` to the set `index` for at least `ttl` seconds (nil: the group's ttl).
    func addToIndex(_ index: String, member: String, ttl: Int?) async throws
    func removeFromIndex(_ index: String, member: String) async throws
    /// The live members of `index` (an expired or missing index is empty).
    func members(ofIndex index: String) async throws -> [String]
    /// Deletes the whole index.
    func deleteIndex(_ index: String) async throws

    /// `put` and `addToIndex(index, member: key)` with the same lifetime, in one round trip
    /// where the backend allows: a token and its place in its grant's index.
    func put(_ key: String, _ value: [UInt8], ttl: Int?, indexedIn index: String) async throws
    /// `put(_:_:ttl:indexedIn:)`, then whether a live record is stored under `marker`, read after
    /// the write as two calls in turn would read it, in one round trip where the backend allows.
    /// The write happens whatever the marker says: a grant's new token, then its grant's tombstone.
    func put(_ key: String, _ value: [UInt8], ttl: Int?, indexedIn index: String, thenLookFor marker: String) async throws -> Bool
    /// Deletes every record whose key is a member of `index`, then the index: everything
    /// issued for a grant, in one round trip where the backend allows.
    func deleteIndexed(_ index: String) async throws

    /// Counts one more failure under `key`, atomically across workers and hosts: the count
    /// starts again at 1 when the last failure is more than `window` milliseconds before `now`
    /// (Unix milliseconds). The counter expires `window` after its last failure.
    func countFailure(_ key: String, now: Int64, window: Int64) async throws -> FailureCount
    /// The counter under `key`, if it has not expired.
    func failures(_ key: String) async throws -> FailureCount?
    func clearFailures(_ key: String) async throws

    /// Checks the backend answers (for health checks).
    func ping() async throws
}

/// How many failures a throttled key has seen, and when the last one was (Unix milliseconds).
package struct FailureCount: Sendable, Equatable {
    package let count: Int
    package let last: Int64

    package init(count: Int, last: Int64) {
        self.count = count
        self.last = last
    }
}

/// Names, for a record, another record that marks it: the record is a JSON object whose string
/// member `field` holds an id, and the marker is stored under `keyPrefix` + that id (a revoked
/// grant's tombstone, for a token naming the grant).
package struct RecordMarker: Sendable {
    package let field: String
    package let keyPrefix: String

    package init(field: String, keyPrefix: String) {
        self.field = field
        self.keyPrefix = keyPrefix
    }

    /// The marker's key for `value`, or nil when the value names none.
    package func key(for value: [UInt8]) -> String? {
        guard case .object(let members)? = JSONScanner.parse(value), case .string(let id)? = members[field] else { return nil }
        return keyPrefix + id
    }
}

extension RecordStore {
    /// Two reads: the record, then its marker. Backends that can do both in one round trip do.
    package func get(_ key: String, unlessMarkedBy marker: RecordMarker) async throws -> [UInt8]? {
        guard let value = try await get(key) else { return nil }
        guard let markerKey = marker.key(for: value) else { return value }
        return try await get(markerKey) == nil ? value : nil
    }

    /// The write, then the read: two round trips. A read in the same trip must still come after
    /// the write is committed, or a concurrent writer of the marker could miss the record.
    package func put(_ key: String, _ value: [UInt8], ttl: Int?, indexedIn index: String, thenLookFor marker: String) async throws -> Bool {
        try await put(key, value, ttl: ttl, indexedIn: index)
        return try await get(marker) != nil
    }

    package func put(_ key: String, _ value: [UInt8]) async throws { try await put(key, value, ttl: nil) }
    package func addToIndex(_ index: String, member: String) async throws { try await addToIndex(index, member: member, ttl: nil) }

    /// The lifetime in seconds a write uses: the explicit one, or the group's; 0 means none.
    func effectiveTTL(_ ttl: Int?) -> Int { ttl ?? defaultTTL }
}

/// A storage backend that cannot be used right now (down, unreachable, too slow). Endpoints
/// answer 503 for it; it is never the client's fault.
package struct StorageUnavailable: Error, CustomStringConvertible {
    package let group: String
    package let backend: String
    package let reason: String

    package init(group: String, backend: String, reason: String) {
        self.group = group
        self.backend = backend
        self.reason = reason
    }

    package var description: String { "storage group \(group) (\(backend)) is unavailable: \(reason)" }
}
