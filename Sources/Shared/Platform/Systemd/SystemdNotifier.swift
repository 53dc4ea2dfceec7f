import CSystemd
import Glibc

/// Tells systemd (Type=notify) what the service is doing. Without NOTIFY_SOCKET every call
/// is a no-op, so the same code runs under systemd, in a terminal and in tests.
package struct SystemdNotifier: Sendable {
    package init() {}

    package func ready(status: String) { send("READY=1\nSTATUS=\(status)") }

    /// Type=notify-reload requires MONOTONIC_USEC with RELOADING=1, or `systemctl reload` waits forever.
    package func reloading(status: String) {
        send("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())\nSTATUS=\(status)")
    }

    package func stopping(status: String) { send("STOPPING=1\nSTATUS=\(status)") }

    package func status(_ text: String) { send("STATUS=\(text)") }

    package func watchdog() { send("WATCHDOG=1") }

    /// The interval systemd expects WATCHDOG=1 within, when WatchdogSec= is set for us.
    package func watchdogInterval() -> Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(microseconds))
    }

    private func send(_ state: String) {
        // A negative result means nobody is listening yet; there is nothing useful to do about it.
        _ = sd_notify(0, state)
    }

    static func monotonicMicroseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_nsec) / 1_000
    }
}

/// Sockets passed by systemd socket activation (LISTEN_FDS / LISTEN_PID).
package enum SystemdSocketActivation {
    /// The first listening stream socket systemd passed to this process, if any. The
    /// variables are removed so children do not mistake them for their own.
    package static func listeningSocket() -> Int32? {
        let count = sd_listen_fds(1)
        guard count > 0 else { return nil }
        let first = Int32(SD_LISTEN_FDS_START)
        for fd in first..<(first + count) where sd_is_socket(fd, AF_UNSPEC, Int32(SOCK_STREAM.rawValue), 1) > 0 {
            return fd
        }
        return nil
    }
}
