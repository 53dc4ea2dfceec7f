import Foundation
import Logging
import Testing
import SharedPlatform

struct LoggingTests {
    @Test func linesCarryTimeRolePidLevelAndMessage() {
        let time = timespec(tv_sec: 1_796_030_400, tv_nsec: 123_456_789)  // 2026-11-30T09:20:00.123Z
        let line = LogLine.format(date: time, role: "worker.2", pid: 4242, level: .notice, message: "hello", metadata: [:])
        #expect(line == "2026-11-30T09:20:00.123Z worker.2[4242] notice: hello\n")
    }

    @Test func aMessageCannotForgeASecondLine() {
        let line = LogLine.format(
            date: timespec(), role: "worker.1", pid: 1, level: .warn,
            message: "login failed for admin\n1970-01-01T00:00:00.000Z supervisor[1] crit: fake", metadata: ["user": "a\rb"])
        #expect(line.filter { $0 == "\n" }.count == 1)
        #expect(line.contains("admin\\n1970"))
        #expect(line.contains("user=a\\rb"))

        // CR LF is one Character in Swift; every control character and line separator is escaped.
        let sneaky = LogLine.format(
            date: timespec(), role: "worker.1", pid: 1, level: .warn,
            message: "unknown client", metadata: ["client_id": "x\r\ny\u{85}z\u{2028}w\u{1B}[31m\tv"])
        #expect(sneaky.filter { $0 == "\n" }.count == 1 && sneaky.hasSuffix("\n"))
        #expect(sneaky.contains(#"client_id=x\r\ny\u{85}z\u{2028}w\u{1B}[31m\tv"#), "\(sneaky)")
        #expect(!sneaky.unicodeScalars.dropLast().contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x2028 })
    }

    @Test func theNodeOriginalsLevelNamesAndTheirAliases() {
        #expect(LogLevelName(configValue: "warn") == .warn)
        #expect(LogLevelName(configValue: "warning") == .warn)
        #expect(LogLevelName(configValue: "CRIT") == .crit)
        #expect(LogLevelName(configValue: "critical") == .crit)
        #expect(LogLevelName(configValue: "verbose") == nil)
        #expect(LogLevelName.notice.loggerLevel == .notice)
        #expect(LogLevelName(.trace) == .debug)
    }

    @Test func secretsAreShortenedToTheirEnds() {
        #expect(Redaction.shortened("emnziC15S33dffGUoJsPqxc0C5GGW4XT") == "emnz..W4XT")
        #expect(Redaction.shortened("short") == "…")
        #expect(Redaction.sessionID("abcdefghijklmnop", short: false) == "abcdefghijklmnop")
        #expect(Redaction.sessionID("abcdefghijklmnop", short: true) == "abcd..mnop")
    }

    @Test func levelChangesReachExistingLoggers() {
        let settings = LogSettings()
        let handler = ServerLogHandler(role: "test", settings: settings)
        settings.apply(try! ServerConfig(document: ConfigDocument(
            location: .init(directory: "/", environmentName: "x"),
            merged: .object([
                "logging": .object(["level": .string("error")]),
                "auth_server": .object(["session_secret": .string("test secret")]),
            ]), origin: "test")).logging)
        #expect(handler.logLevel == Logger.Level.error)
        settings.level = Logger.Level.debug
        #expect(handler.logLevel == Logger.Level.debug)
    }
}
