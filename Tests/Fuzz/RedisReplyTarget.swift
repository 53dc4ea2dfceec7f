@testable import SharedStorage

/// Replies from Redis as `RedisReplyDecoder` (hiredis's reader) turns bytes into values. A reply
/// may arrive in any split, so the values must not depend on where the bytes were cut.
enum RedisReplyTarget {
    /// What a decoder made of its bytes: the replies, in order, and whether it then failed.
    struct Outcome: Equatable {
        var replies: [RedisReply] = []
        var failed = false
    }

    static func run(_ input: [UInt8]) {
        let whole = decode([input])
        // Cut once where the first byte says, and into single bytes as a slow peer sends them.
        let cut = input.isEmpty ? 0 : Int(input[0]) % input.count
        invariant(decode([Array(input[..<cut]), Array(input[cut...])]) == whole, "the replies depend on a cut at \(cut)")
        if input.count <= 256 {
            invariant(decode(input.map { [$0] }) == whole, "the replies depend on the bytes arriving one by one")
        }

        // The replies hold no more bytes than arrived.
        invariant(whole.replies.reduce(0) { $0 + payload($1) } <= input.count, "replies hold more bytes than were fed")

        // Written out again in RESP, the replies read back as the same values.
        let written = whole.replies.flatMap(resp)
        invariant(decode([written]) == Outcome(replies: whole.replies), "replies do not survive RESP encoding")
    }

    static func decode(_ chunks: [[UInt8]]) -> Outcome {
        var decoder = RedisReplyDecoder()
        var outcome = Outcome()
        do {
            for chunk in chunks {
                try chunk.withUnsafeBytes { try decoder.feed($0) }
                while let reply = try decoder.nextReply() { outcome.replies.append(reply) }
            }
        } catch {
            outcome.failed = true
        }
        return outcome
    }

    /// The bytes a reply carries (strings, bulk values), counted as they arrived.
    static func payload(_ reply: RedisReply) -> Int {
        switch reply {
        // One scalar a byte at most: an invalid byte reads as one U+FFFD.
        case .status(let text), .error(let text): text.unicodeScalars.count
        case .integer: 0
        case .bulk(let bytes): bytes?.count ?? 0
        case .array(let elements): elements?.reduce(0) { $0 + payload($1) } ?? 0
        }
    }

    /// RESP2 for a reply.
    static func resp(_ reply: RedisReply) -> [UInt8] {
        switch reply {
        case .status(let text): Array("+\(text)\r\n".utf8)
        case .error(let text): Array("-\(text)\r\n".utf8)
        case .integer(let value): Array(":\(value)\r\n".utf8)
        case .bulk(nil): Array("$-1\r\n".utf8)
        case .bulk(let bytes?): Array("$\(bytes.count)\r\n".utf8) + bytes + Array("\r\n".utf8)
        case .array(nil): Array("*-1\r\n".utf8)
        case .array(let elements?): Array("*\(elements.count)\r\n".utf8) + elements.flatMap(resp)
        }
    }
}
