import Logging
import Synchronization

/// The settings every log handler of this process reads on each call, so a reload
/// changes the level of loggers that already exist.
package final class LogSettings: Sendable {
    package static let shared = LogSettings()

    private struct State {
        var level: Logger.Level = .info
        var shortSID = true
    }

    private let state = Mutex(State())

    package init() {}

    package var level: Logger.Level {
        get { state.withLock { $0.level } }
        set { state.withLock { $0.level = newValue } }
    }

    package var shortSID: Bool {
        get { state.withLock { $0.shortSID } }
        set { state.withLock { $0.shortSID = newValue } }
    }

    package func apply(_ config: LoggingConfig) {
        state.withLock {
            $0.level = config.level.loggerLevel
            $0.shortSID = config.shortSID
        }
    }
}
