import CHiredis
import NIOCore

/// Turns a command's arguments into RESP2 bytes with hiredis's `redisFormatCommandArgv`.
/// Every argument is passed with its length, so values may hold NUL and any other byte.
enum RedisCommandEncoder {
    static func encode(_ arguments: [[UInt8]]) -> ByteBuffer {
        precondition(!arguments.isEmpty, "a Redis command needs at least its name")
        let totalLength = arguments.reduce(0) { $0 + $1.count }
        // hiredis computes lengths in `int`; Redis refuses bulk strings over 512 MB anyway.
        precondition(totalLength < Int(Int32.max) / 2, "Redis command of \(totalLength) bytes is too large")

        // One contiguous copy of all arguments keeps every argv pointer valid for the single C
        // call. The trailing byte gives the storage an address even when every argument is empty.
        var storage: [UInt8] = []
        storage.reserveCapacity(totalLength + 1)
        var offsets: [Int] = []
        var lengths: [Int] = []
        offsets.reserveCapacity(arguments.count)
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            offsets.append(storage.count)
            lengths.append(argument.count)
            storage.append(contentsOf: argument)
        }
        storage.append(0)

        return storage.withUnsafeBytes { bytes in
            let base = bytes.baseAddress!.assumingMemoryBound(to: CChar.self)
            var argv: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
            var formatted: UnsafeMutablePointer<CChar>?
            let length = argv.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { lengths in
                    redisFormatCommandArgv(&formatted, Int32(arguments.count), argv.baseAddress, lengths.baseAddress)
                }
            }
            // -1 only when malloc failed inside hiredis.
            guard length >= 0, let formatted else { fatalError("hiredis could not format a Redis command") }
            defer { redisFreeCommand(formatted) }
            var buffer = ByteBufferAllocator().buffer(capacity: Int(length))
            buffer.writeBytes(UnsafeRawBufferPointer(start: formatted, count: Int(length)))
            return buffer
        }
    }
}
