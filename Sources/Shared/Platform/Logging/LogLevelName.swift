import Logging

/// The Node original's syslog-style level names, mapped onto swift-log's levels.
package enum LogLevelName: String, Sendable, CaseIterable {
    case debug, info, notice, warn, error, crit

    /// Every spelling accepted in `logging.level`.
    package static let acceptedNames = ["debug", "info", "notice", "warn", "warning", "error", "crit", "critical"]

    package init?(configValue: String) {
        switch configValue.lowercased() {
        case "warning": self = .warn
        case "critical": self = .crit
        default: self.init(rawValue: configValue.lowercased())
        }
    }

    package init(_ level: Logger.Level) {
        switch level {
        case .trace, .debug: self = .debug
        case .info: self = .info
        case .notice: self = .notice
        case .warning: self = .warn
        case .error: self = .error
        case .critical: self = .crit
        }
    }

    package var loggerLevel: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warn: .warning
        case .error: .error
        case .crit: .critical
        }
    }

    /// syslog priority, as the journal wants it.
    package var syslogPriority: Int {
        switch self {
        case .debug: 7
        case .info: 6
        case .notice: 5
        case .warn: 4
        case .error: 3
        case .crit: 2
        }
    }
}
