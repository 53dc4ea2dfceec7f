import Logging
import Synchronization

/// Every line a logger was given, message and metadata, for tests of what reaches the log.
final class CapturedLog: Sendable {
    private let lines = Mutex<[String]>([])

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    func handler(level: Logger.Level) -> some LogHandler {
        Handler(log: self, logLevel: level)
    }

    private struct Handler: LogHandler {
        let log: CapturedLog
        var logLevel: Logger.Level
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let fields = metadata.merging(event.metadata ?? [:]) { $1 }.map { "\($0)=\($1)" }.sorted().joined(separator: " ")
            log.lines.withLock { $0.append("\(event.level): \(event.message) \(fields)") }
        }
    }
}
