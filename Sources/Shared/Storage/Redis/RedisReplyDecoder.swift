import CHiredis

/// Parses RESP2 bytes into `RedisReply` values with hiredis's reply reader. Bytes may arrive in
/// any split; `nextReply` returns nil until a whole reply is buffered. Not thread-safe: owned by
/// one channel handler on one event loop.
package struct RedisReplyDecoder: ~Copyable {
    /// The most elements a multi-bulk reply may announce, far above any index the server reads.
    /// hiredis 0.14 allocates a reply's whole array when it reads the header, so a broken or
    /// hostile peer's `*2147483647` alone would ask for 16 GB.
    package static let maximumElements: Int32 = 1 << 20

    private let reader: UnsafeMutablePointer<redisReader>

    package init() {
        // NULL only when malloc failed.
        guard let reader = redisReaderCreate() else { fatalError("hiredis could not create a reply reader") }
        reader.pointee.fn = BoundedReplyFunctions.table
        self.reader = reader
    }

    deinit {
        redisReaderFree(reader)
    }

    package mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(RedisClientError) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        guard redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), bytes.count) == REDIS_OK else {
            throw readerError()
        }
    }

    package mutating func nextReply() throws(RedisClientError) -> RedisReply? {
        var object: UnsafeMutableRawPointer?
        // After an error the reader is unusable; the caller closes the connection.
        guard redisReaderGetReply(reader, &object) == REDIS_OK else { throw readerError() }
        guard let object else { return nil }
        defer { freeReplyObject(object) }
        return try Self.reply(from: object.assumingMemoryBound(to: redisReply.self).pointee)
    }

    private static func reply(from reply: redisReply) throws(RedisClientError) -> RedisReply {
        switch reply.type {
        case REDIS_REPLY_STRING:
            return .bulk(bytes(of: reply))
        case REDIS_REPLY_NIL:
            return .bulk(nil)
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(reply.integer))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: bytes(of: reply), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(of: reply), as: UTF8.self))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(reply.elements)
            for index in 0..<reply.elements {
                guard let element = reply.element[index] else {
                    throw RedisClientError(kind: .protocolError, message: "hiredis returned an array with a missing element")
                }
                elements.append(try Self.reply(from: element.pointee))
            }
            return .array(elements)
        default:
            throw RedisClientError(kind: .protocolError, message: "hiredis returned unknown reply type \(reply.type)")
        }
    }

    private static func bytes(of reply: redisReply) -> [UInt8] {
        guard let string = reply.str, reply.len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: string, count: reply.len))
    }

    private func readerError() -> RedisClientError {
        let text = withUnsafeBytes(of: reader.pointee.errstr) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        return RedisClientError(kind: .protocolError, message: text.isEmpty ? "unreadable reply" : text)
    }
}

/// hiredis's reply constructors with one change: an array of more than
/// `RedisReplyDecoder.maximumElements` is refused before it is allocated (hiredis then reports
/// the reply as unreadable, "Out of memory").
private enum BoundedReplyFunctions {
    /// hiredis's own table, as a new reader points to it.
    static let defaults: redisReplyObjectFunctions = {
        guard let reader = redisReaderCreate() else { fatalError("hiredis could not create a reply reader") }
        defer { redisReaderFree(reader) }
        return reader.pointee.fn.pointee
    }()

    /// The table every decoder's reader uses: allocated once, never written after, never freed.
    nonisolated(unsafe) static let table: UnsafeMutablePointer<redisReplyObjectFunctions> = {
        var functions = defaults
        functions.createArray = { task, elements in
            guard elements <= RedisReplyDecoder.maximumElements else { return nil }
            return BoundedReplyFunctions.defaults.createArray(task, elements)
        }
        let table = UnsafeMutablePointer<redisReplyObjectFunctions>.allocate(capacity: 1)
        table.initialize(to: functions)
        return table
    }()
}
