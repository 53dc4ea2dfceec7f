import Glibc
import Logging
import NIOCore
import Synchronization

/// Keeps a worker under `auth_server.max_connections`: at the limit it stops accepting (the
/// listening socket's other workers, or the kernel's backlog, hold new connections meanwhile)
/// and starts again when a connection closes. A worker so never runs out of file descriptors,
/// however many connections a client opens and leaves idle.
final class ConnectionLimiter: Sendable {
    private struct State {
        var open = 0
        var paused = false
        /// Shutting down: accepting never resumes.
        var stopped = false
        /// When the limit was last logged: at most once a minute, however often it is reached.
        var warned: ContinuousClock.Instant?
    }

    let limit: Int
    private let state = Mutex(State())
    private let logger: Logger

    init(limit: Int, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    /// Counts an accepted connection (from the child channel initializer) until it closes.
    func opened(_ channel: any Channel) {
        let (pause, warn) = state.withLock { state -> (Bool, Bool) in
            state.open += 1
            guard state.open >= limit, !state.paused, !state.stopped else { return (false, false) }
            state.paused = true
            let now = ContinuousClock.now
            guard state.warned.map({ now - $0 > .seconds(60) }) ?? true else { return (true, false) }
            state.warned = now
            return (true, true)
        }
        if warn {
            logger.warning("\(limit) connections open (auth_server.max_connections): not accepting more until one closes")
        }
        if pause, let server = channel.parent {
            _ = server.setOption(ChannelOptions.autoRead, value: false)
        }
        channel.closeFuture.whenComplete { [self] _ in closed(server: channel.parent) }
    }

    /// Accepting ends for good (graceful shutdown).
    func stop() {
        state.withLock { $0.stopped = true }
    }

    var isStopped: Bool { state.withLock { $0.stopped } }

    private func closed(server: (any Channel)?) {
        let resume = state.withLock { state -> Bool in
            state.open -= 1
            guard state.paused, state.open < limit, !state.stopped else { return false }
            state.paused = false
            return true
        }
        if resume, let server {
            logger.debug("below auth_server.max_connections again: accepting")
            _ = server.setOption(ChannelOptions.autoRead, value: true)
        }
    }

    /// The default limit: what the file-descriptor limit leaves after a reserve for the
    /// worker's own files (stores, logs, the supervisor's sockets). The soft limit is first
    /// raised to the hard one, as nginx's workers do.
    static func defaultLimit() -> Int {
        var limits = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limits) == 0 else { return 1024 }
        if limits.rlim_cur < limits.rlim_max {
            var raised = limits
            raised.rlim_cur = limits.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { limits = raised }
        }
        let available = Int(min(limits.rlim_cur, 1 << 20))  // RLIM_INFINITY is the largest value
        return max(16, available - 256)
    }
}
