import SharedStorage
import Testing

/// The reply decoder on its own, fed bytes as a peer might send them.
struct RedisReplyDecoderTests {
    private func replies(_ text: String) throws -> [RedisReply] {
        var decoder = RedisReplyDecoder()
        try Array(text.utf8).withUnsafeBytes { try decoder.feed($0) }
        var replies: [RedisReply] = []
        while let reply = try decoder.nextReply() { replies.append(reply) }
        return replies
    }

    @Test func repliesOfEveryKindInOneRead() throws {
        #expect(try replies("+OK\r\n:42\r\n$-1\r\n$5\r\nhe\r\no\r\n*2\r\n-ERR no\r\n*0\r\n") == [
            .status("OK"), .integer(42), .bulk(nil), .bulk(Array("he\r\no".utf8)), .array([.error("ERR no"), .array([])]),
        ])
    }

    /// Found by scripts/fuzz (redis-reply): hiredis 0.14 allocates an array when it reads the
    /// header, so `*2147483647` asked for 16 GB before a single element arrived.
    @Test func anArrayHeaderBeyondTheLimitIsRefusedBeforeItIsAllocated() throws {
        #expect(throws: RedisClientError.self) { try replies("*2147483647\r\n") }
        #expect(throws: RedisClientError.self) { try replies("*\(RedisReplyDecoder.maximumElements + 1)\r\n") }
        // Up to the limit, an array waits for its elements as before.
        #expect(try replies("*\(RedisReplyDecoder.maximumElements)\r\n:1\r\n") == [])
        #expect(try replies("*2\r\n:1\r\n:2\r\n") == [.array([.integer(1), .integer(2)])])
    }
}
