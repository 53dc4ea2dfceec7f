import Foundation
import Testing
import SharedPlatform

struct ControlMessageTests {
    @Test func messagesRoundTripAsSingleLines() throws {
        let layers = [
            ConfigDocument.Layer(path: "/etc/oauth2/default.json", value: .object(["logging": .object(["level": .string("notice\nx")])])),
            ConfigDocument.Layer(path: "/etc/oauth2/runtime.json", value: .object(["n": .number(3)])),
        ]
        for message in [ControlMessage.configure(layers), .quit, .ready, .heartbeat] {
            let line = message.encodedLine()
            #expect(line.last == UInt8(ascii: "\n"))
            #expect(line.dropLast().contains(UInt8(ascii: "\n")) == false)
            #expect(try ControlMessage(line: line.dropLast()) == message)
        }
    }

    @Test func lineBufferSplitsAcrossReadsAndRefusesHugeLines() throws {
        var buffer = LineBuffer()
        #expect(try buffer.append(Array("{\"type\":".utf8)).isEmpty)
        let lines = try buffer.append(Array("\"ready\"}\n{\"type\":\"heartbeat\"}\n{".utf8))
        #expect(lines.count == 2)
        #expect(try ControlMessage(line: lines[1]) == .heartbeat)
        #expect(throws: ControlMessageError.self) {
            try buffer.append([UInt8](repeating: UInt8(ascii: "x"), count: LineBuffer.maximumLineLength + 1))
        }
    }

    @Test func malformedMessagesAreErrors() {
        #expect(throws: (any Error).self) { try ControlMessage(line: Array("{\"type\":\"explode\"}".utf8)) }
        #expect(throws: (any Error).self) { try ControlMessage(line: Array("not json".utf8)) }
    }
}
