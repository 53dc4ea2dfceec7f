import CProcessShims
import Foundation

/// Starts child processes with posix_spawn (never fork in a Swift process), handing each
/// exactly the descriptors it should have, a clean signal mask and default dispositions.
enum ChildSpawner {
    /// Environment variables that speak to the supervisor only: systemd's socket activation and
    /// notification variables would mislead a child into thinking they are its own.
    static let supervisorOnlyVariables: Set<String> = [
        "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC",
    ]

    /// - Parameter descriptors: child descriptor number → supervisor descriptor to place there.
    ///   Everything from 3 up that is not listed is closed in the child.
    static func spawn(
        executable: String,
        arguments: [String],
        environment: [String: String],
        descriptors: [Int32: Int32]
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, source) in descriptors.sorted(by: { $0.key < $1.key }) {
            posix_spawn_file_actions_adddup2(&actions, source, target)
        }
        let firstClosed = (descriptors.keys.max() ?? 2) + 1
        oauth2_spawn_file_actions_addclosefrom(&actions, max(3, firstClosed))

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.filter { !supervisorOnlyVariables.contains($0.key) }
            .map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw SupervisorError.systemCall("posix_spawn \(executable)", errno: result) }
        return pid
    }

    /// The directory of the running executable, where the other programs of the package are installed.
    static func siblingExecutable(named name: String) -> String {
        let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return ((own as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
    }
}

/// How a child process ended, decoded from a waitpid status.
package enum ChildExit: Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    package init(waitStatus status: Int32) {
        if oauth2_wifsignaled(status) != 0 {
            self = .signaled(oauth2_wtermsig(status))
        } else {
            self = .exited(oauth2_wexitstatus(status))
        }
    }

    package var description: String {
        switch self {
        case .exited(let code): "exit code \(code)"
        case .signaled(let signal): "signal \(signal) (\(String(cString: strsignal(signal))))"
        }
    }
}
