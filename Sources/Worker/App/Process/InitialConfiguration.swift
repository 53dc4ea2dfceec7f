import Foundation
import SharedPlatform

/// Reads the first control message, the configuration, before any event loop starts, so the
/// worker runs exactly the config the supervisor validated (not whatever is on disk by then).
enum InitialConfiguration {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func read(from descriptor: Int32) throws -> [ConfigDocument.Layer] {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = Glibc.read(descriptor, &byte, 1)
            if count == 1 {
                if byte == UInt8(ascii: "\n") { break }
                line.append(byte)
                if line.count > LineBuffer.maximumLineLength { throw Failure(description: "configuration message too long") }
            } else if count < 0, errno == EINTR {
                continue
            } else {
                throw Failure(description: "the supervisor closed the control socket before sending a configuration")
            }
        }
        guard case .configure(let layers) = try ControlMessage(line: line) else {
            throw Failure(description: "the first control message was not a configuration")
        }
        return layers
    }
}
