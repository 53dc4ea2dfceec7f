import CProcessShims
import Glibc

/// The signals the supervisor acts on, read synchronously from a signalfd in its main loop.
///
/// The signals are blocked before any other thread exists, so every later thread inherits the
/// block and nothing runs in a signal handler: the loop simply reads them, as gunicorn's
/// arbiter queues them. Workers get a clean mask back at spawn.
final class SignalReceiver {
    static let handled: [Int32] = [SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGTTIN, SIGTTOU, SIGCHLD]

    let descriptor: Int32

    init() throws {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in Self.handled { sigaddset(&mask, signal) }
        guard pthread_sigmask(SIG_BLOCK, &mask, nil) == 0 else { throw SupervisorError.systemCall("pthread_sigmask") }
        let descriptor = signalfd(-1, &mask, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
        guard descriptor >= 0 else { throw SupervisorError.systemCall("signalfd") }
        self.descriptor = descriptor
        // Writes to a worker whose control socket is gone must fail with EPIPE, not kill us.
        signal(SIGPIPE, SIG_IGN)
    }

    /// Every signal that arrived since the last call, in order.
    func drain() -> [Int32] {
        var signals: [Int32] = []
        var info = signalfd_siginfo()
        while read(descriptor, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            signals.append(Int32(info.ssi_signo))
        }
        return signals
    }

    deinit { close(descriptor) }
}
