import Foundation
import TestSupport

/// The PostgreSQL host: one server listening on the host's address (port 5432), database
/// `oauth2`, trusting the test subnet. PostgreSQL refuses to run as root, so its commands run
/// as the `postgres` user, inside the host's namespace.
final class PostgresHost: @unchecked Sendable {
    static let port = 5432

    let host: TestNetwork.Host
    private let directory: String
    private let binDirectory: String

    init(on host: TestNetwork.Host, directory: String, subnet: String) throws {
        self.host = host
        self.directory = "\(directory)/postgres"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let version = versions.sorted(by: { $0.compare($1, options: .numeric) == .orderedAscending }).last else {
            throw ServerProcessFailure("PostgreSQL server binaries not found: install postgresql (scripts/install-deps --test)")
        }
        binDirectory = "/usr/lib/postgresql/\(version)/bin"
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        try run("/bin/chown", ["postgres", self.directory], asPostgres: false)
        try run("\(binDirectory)/initdb", ["-D", "\(self.directory)/data", "-A", "trust", "-U", "postgres"])
        // Over the network too (initdb trusts only local connections), from the test subnet.
        let hba = "\(self.directory)/data/pg_hba.conf"
        let rules = try String(contentsOfFile: hba, encoding: .utf8)
        try (rules + "host all all \(subnet).0/24 trust\n").write(toFile: hba, atomically: false, encoding: .utf8)
        try start()
        try run("\(binDirectory)/createdb", ["-h", host.address, "-p", "\(Self.port)", "-U", "postgres", "oauth2"])
    }

    /// The storage group settings every server host uses.
    var storageGroup: [String: Any] {
        ["type": "Postgres", "options": ["host": host.address, "port": Self.port, "user": "postgres", "password": "", "database": "oauth2", "ssl": false]]
    }

    func start() throws {
        try run("\(binDirectory)/pg_ctl", [
            "-D", "\(directory)/data", "-l", "\(directory)/server.log", "-w",
            "-o", "-p \(Self.port) -k \(directory) -c listen_addresses=\(host.address) -c fsync=off -c max_connections=300", "start",
        ])
    }

    /// Stops at once (`immediate`: no checkpoint, clients cut off), as a crash looks to them.
    func stop() throws {
        try run("\(binDirectory)/pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "stop"])
    }

    /// One value from `psql` (run from the test's namespace, over the network).
    func query(_ sql: String) throws -> String {
        let (status, output) = try Command.output(
            "/usr/bin/psql", ["-h", host.address, "-p", "\(Self.port)", "-U", "postgres", "-d", "oauth2", "-tAc", sql])
        guard status == 0 else { throw ServerProcessFailure("psql failed (\(status)): \(output)") }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// pg_ctl leaves the server running as a daemon: `TestNetwork.destroy` kills whatever is
    /// left in the namespace, this stops it cleanly first when it can.
    func shutDown() { try? stop() }

    var log: String { (try? String(contentsOfFile: "\(directory)/server.log", encoding: .utf8)) ?? "" }

    private func run(_ executable: String, _ arguments: [String], asPostgres: Bool = true) throws {
        let user = asPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
        let command = TestNetwork.launcher(host) + user + [executable] + arguments
        let (status, output) = try Command.output(command[0], Array(command.dropFirst()))
        guard status == 0 else {
            throw ServerProcessFailure("\((executable as NSString).lastPathComponent) failed (\(status)): \(output)")
        }
    }
}
