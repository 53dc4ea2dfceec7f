import Foundation

/// A private PostgreSQL server (initdb into a temp folder, a free loopback port, database
/// `oauth2`), for tests that stop and restart the database under a running server.
/// PostgreSQL refuses to run as root, so as root its commands run as the `postgres` user.
package final class PostgresServerProcess: @unchecked Sendable {
    package let port: Int
    private let directory: String
    private let binDirectory: String

    package init() throws {
        binDirectory = try Self.binaries()
        port = FreePort.loopback()
        directory = try Self.makeDirectory()
        try run("\(binDirectory)/initdb", ["-D", "\(directory)/data", "-A", "trust", "-U", "postgres"])
        try start()
        try run("\(binDirectory)/createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "oauth2"])
    }

    /// A streaming standby of `primary` (a copy made with `pg_basebackup -R`, which also writes
    /// the settings that make it follow the primary; `-c fast` checkpoints at once instead of
    /// spreading it over minutes), read-only until `promote()`. initdb's
    /// `trust` lets loopback replication connections in.
    package init(standbyOf primary: PostgresServerProcess) throws {
        binDirectory = primary.binDirectory
        port = FreePort.loopback()
        directory = try Self.makeDirectory()
        try run("\(binDirectory)/pg_basebackup", [
            "-h", "127.0.0.1", "-p", String(primary.port), "-U", "postgres", "-D", "\(directory)/data", "-R", "-X", "stream", "-c", "fast",
        ])
        try start()
    }

    /// Makes a standby the primary (`pg_ctl promote`), and waits until it takes writes.
    package func promote() throws {
        try run("\(binDirectory)/pg_ctl", ["-D", "\(directory)/data", "-w", "promote"])
    }

    /// Runs one statement with psql as `postgres` in the `oauth2` database; returns its output, unaligned.
    package func psql(_ statement: String) throws -> String {
        let (status, output) = try Command.output(
            "\(binDirectory)/psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "oauth2", "-Atqc", statement])
        guard status == 0 else { throw ServerProcessFailure("psql \(statement) failed (\(status)): \(output)") }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func binaries() throws -> String {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let version = versions.sorted(by: { $0.compare($1, options: .numeric) == .orderedAscending }).last else {
            throw ServerProcessFailure("PostgreSQL server binaries not found: install postgresql (scripts/install-deps --test)")
        }
        return "/usr/lib/postgresql/\(version)/bin"
    }

    /// A private folder, owned by `postgres` when the tests run as root.
    private static func makeDirectory() throws -> String {
        let directory = NSTemporaryDirectory() + "postgres-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if getuid() == 0 {
            let status = try Command.run("/bin/chown", ["postgres", directory], outputPath: "/dev/null")
            guard status == 0 else { throw ServerProcessFailure("chown postgres \(directory) failed (\(status))") }
        }
        return directory
    }

    package func start() throws {
        try run("\(binDirectory)/pg_ctl", [
            "-D", "\(directory)/data", "-l", "\(directory)/server.log", "-w",
            "-o", "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off", "start",
        ])
    }

    /// Stops at once, as a crash or a network cut looks to clients (`immediate`), or as an
    /// operator's restart does (`fast`: every session is ended, new ones refused until it is down).
    package func stop(mode: String = "immediate") throws {
        try run("\(binDirectory)/pg_ctl", ["-D", "\(directory)/data", "-m", mode, "-w", "stop"])
    }

    deinit {
        try? stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func run(_ executable: String, _ arguments: [String], asPostgres: Bool = true) throws {
        let outputPath = NSTemporaryDirectory() + "postgres-command-\(UUID().uuidString.prefix(8)).out"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let status = asPostgres && getuid() == 0
            ? try Command.run("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments, outputPath: outputPath)
            : try Command.run(executable, arguments, outputPath: outputPath)
        guard status == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw ServerProcessFailure("\((executable as NSString).lastPathComponent) failed (\(status)): \(text)")
        }
    }
}

package struct ServerProcessFailure: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// Ports nobody listens on right now, and whether a server listens on one.
package enum FreePort {
    /// Whether a server accepts connections on the loopback `port` now.
    package static func acceptsConnections(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    package static func loopback() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                _ = bind(fd, $0, length)
                _ = getsockname(fd, $0, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
