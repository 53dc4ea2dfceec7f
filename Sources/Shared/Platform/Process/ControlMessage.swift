import Foundation

/// One message on a supervisor↔worker control socket, sent as a line of JSON.
package enum ControlMessage: Sendable, Equatable {
    /// Supervisor → worker: the configuration to run with (at boot, and again after a reload),
    /// as the files the supervisor read, so the worker's problems can name the file at fault.
    case configure([ConfigDocument.Layer])
    /// Supervisor → worker: stop accepting, finish in-flight requests, exit 0.
    case quit
    /// Worker → supervisor: accepting connections.
    case ready
    /// Worker → supervisor: event loops are alive.
    case heartbeat

    package func encodedLine() -> Data {
        var object: [String: JSONValue]
        switch self {
        case .configure(let layers):
            object = [
                "type": .string("configure"),
                "layers": .array(layers.map { .object(["path": .string($0.path), "value": $0.value]) }),
            ]
        case .quit: object = ["type": .string("quit")]
        case .ready: object = ["type": .string("ready")]
        case .heartbeat: object = ["type": .string("heartbeat")]
        }
        var data = JSONValue.object(object).serialized()
        data.append(UInt8(ascii: "\n"))
        return data
    }

    package init(line: some DataProtocol) throws {
        guard case .object(let object) = try JSONValue.parse(Data(line)), case .string(let type)? = object["type"] else {
            throw ControlMessageError(description: "a control message must be an object with a type")
        }
        switch type {
        case "configure":
            guard case .array(let items)? = object["layers"] else { throw ControlMessageError(description: "configure without layers") }
            self = .configure(try items.map { item in
                guard case .string(let path)? = item[ConfigKeyPath(["path"])], let value = item[ConfigKeyPath(["value"])] else {
                    throw ControlMessageError(description: "a configuration layer needs a path and a value")
                }
                return ConfigDocument.Layer(path: path, value: value)
            })
        case "quit": self = .quit
        case "ready": self = .ready
        case "heartbeat": self = .heartbeat
        default: throw ControlMessageError(description: "unknown control message type \(type)")
        }
    }
}

package struct ControlMessageError: Error, CustomStringConvertible {
    package let description: String
}

/// Splits a byte stream into lines (for the supervisor's non-blocking control reads).
package struct LineBuffer: Sendable {
    private var pending: [UInt8] = []
    /// Lines longer than this are a broken peer, not a message.
    package static let maximumLineLength = 1 << 20

    package init() {}

    /// Appends `bytes` and returns the complete lines now available; throws when a line is too long.
    package mutating func append(_ bytes: some Sequence<UInt8>) throws -> [[UInt8]] {
        pending.append(contentsOf: bytes)
        var lines: [[UInt8]] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(Array(pending[..<newline]))
            pending.removeSubrange(...newline)
        }
        if pending.count > Self.maximumLineLength {
            throw ControlMessageError(description: "control line longer than \(Self.maximumLineLength) bytes")
        }
        return lines
    }
}
