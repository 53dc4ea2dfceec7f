import CProcessShims
import Foundation

/// Runs a program to completion with posix_spawn and waitpid. Foundation's Process notices a
/// child's exit through a descriptor the child inherits, so a child that leaves a daemon behind
/// (pg_ctl start) never looks finished to it; here the child gets only stdin, stdout and stderr,
/// and none of the test threads' blocked signals.
package enum Command {
    /// The variables that point a server at a configuration; a command never inherits them
    /// from the test run, so it reads only what the test gives it.
    static let serverConfigurationVariables = ["OAUTH2_CONFIG_DIR", "OAUTH2_ENV", "NODE_CONFIG_DIR", "NODE_ENV"]

    /// Runs `executable` with `arguments`; returns its exit status and its output (stdout and
    /// stderr together). `environment` is added to this process's, less the server's configuration variables.
    package static func output(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:]
    ) throws -> (status: Int32, output: String) {
        let outputPath = NSTemporaryDirectory() + "command-\(UUID().uuidString.prefix(8)).out"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var variables = ProcessInfo.processInfo.environment
        for name in serverConfigurationVariables { variables[name] = nil }
        variables.merge(environment) { $1 }
        let status = try run(executable, arguments, outputPath: outputPath, environment: variables)
        return (status, (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")
    }

    /// Runs `executable` with `arguments`, output (stdout and stderr) to `outputPath`, in
    /// `environment` (this process's when nil); returns the exit status.
    package static func run(
        _ executable: String, _ arguments: [String], outputPath: String, environment: [String: String]? = nil
    ) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        oauth2_spawn_file_actions_addclosefrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Threads of the test process block most signals; the child must not inherit that.
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { envp?.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = envp.map { posix_spawn(&pid, executable, &actions, &attributes, argv, $0) }
            ?? posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            throw ServerProcessFailure("cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return oauth2_wifexited(status) != 0 ? oauth2_wexitstatus(status) : 128 + oauth2_wtermsig(status)
    }
}
