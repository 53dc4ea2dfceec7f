import CSystemd
import Foundation
import Logging

/// The swift-log handler of every process: one line per event on stderr, or a journal
/// entry with its priority when systemd connected stderr to the journal.
package struct ServerLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    private let role: String
    private let settings: LogSettings
    private let sink: LogSink

    package init(role: String, settings: LogSettings = .shared, sink: LogSink = .standardError) {
        self.role = role
        self.settings = settings
        self.sink = sink
    }

    /// Read on every call, so a reload changes the level at once; setting it changes the process's level.
    package var logLevel: Logger.Level {
        get { settings.level }
        set { settings.level = newValue }
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        sink.write(role: role, level: LogLevelName(event.level), message: event.message.description, metadata: merged)
    }

    /// Installs this handler for the whole process. Call once, first thing in main.
    package static func bootstrap(role: String) {
        let sink = LogSink.forThisProcess()
        LoggingSystem.bootstrap { _ in ServerLogHandler(role: role, sink: sink) }
    }
}

/// Where log events go.
package enum LogSink: Sendable {
    case standardError
    case journal

    /// The journal when systemd connected our stderr to it (JOURNAL_STREAM names stderr's
    /// device and inode), otherwise stderr.
    package static func forThisProcess(environment: [String: String] = ProcessInfo.processInfo.environment) -> LogSink {
        guard let stream = environment["JOURNAL_STREAM"] else { return .standardError }
        var info = stat()
        guard fstat(STDERR_FILENO, &info) == 0 else { return .standardError }
        return stream == "\(info.st_dev):\(info.st_ino)" ? .journal : .standardError
    }

    func write(role: String, level: LogLevelName, message: String, metadata: Logger.Metadata) {
        switch self {
        case .standardError:
            let line = LogLine.format(
                date: LogLine.now(), role: role, pid: getpid(), level: level, message: message, metadata: metadata)
            var bytes = Array(line.utf8)
            // One write() per line keeps lines from different workers whole.
            bytes.withUnsafeMutableBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = Glibc.write(STDERR_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                    if written <= 0 { if errno == EINTR { continue } else { return } }
                    offset += written
                }
            }
        case .journal:
            let text = metadata.isEmpty
                ? message
                : message + metadata.keys.sorted().map { " \($0)=\(metadata[$0]!)" }.joined()
            let fields = [
                "MESSAGE=\(role): \(text)",
                "PRIORITY=\(level.syslogPriority)",
                "SYSLOG_IDENTIFIER=oauth2-server",
                "OAUTH2_ROLE=\(role)",
            ]
            let cStrings = fields.map { strdup($0) }
            defer { cStrings.forEach { free($0) } }
            var vectors = cStrings.map { iovec(iov_base: UnsafeMutableRawPointer($0), iov_len: strlen($0!)) }
            _ = sd_journal_sendv(&vectors, Int32(vectors.count))
        }
    }
}
