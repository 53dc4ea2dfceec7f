import Foundation
import Glibc
import TestSupport
import Testing

extension IntegrationTests {
    /// A reload that moves a group to a database runs that database's migration off the
    /// supervisor's loop: while it waits (here on the migration lock, which another "host"
    /// holds), the supervisor still takes signals, and it applies the reload once the
    /// migration is done.
    @Suite(.serialized)
    struct ReloadMigrationTests {
        @Test func aSlowMigrationLeavesTheSupervisorResponsive() async throws {
            let postgres = try PostgresServerProcess()
            let server = try await ServerProcess.start(workers: 1)
            defer { server.kill() }

            // Another host's migration, as far as this one can tell: a session holding the
            // migrations' advisory lock ("oauth2" in ASCII), ended by the server to let go (a
            // session asleep in pg_sleep would not notice its client's death).
            let holder = Process()
            holder.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
            holder.arguments = [
                "-h", "127.0.0.1", "-p", "\(postgres.port)", "-U", "postgres", "-d", "oauth2",
                "-c", "SELECT pg_advisory_lock(111111116611150)", "-c", "SELECT pg_sleep(60)",
            ]
            holder.standardOutput = FileHandle.nullDevice
            holder.standardError = FileHandle.nullDevice
            try holder.run()
            defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) } }
            try #require(await eventually {
                (try? postgres.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")) == "1"
            }, "the lock is held")

            try server.writeConfig("runtime.json", ["storage": ["users": [
                "type": "Postgres", "options": ["host": "127.0.0.1", "port": postgres.port, "user": "postgres", "database": "oauth2"],
            ]]])
            server.signal(SIGHUP)
            #expect(await server.waitForLog("preparing storage for the reloaded configuration"))
            // The migration waits for the lock; the supervisor does not.
            server.signal(SIGTTIN)
            #expect(await eventually(timeout: .seconds(5)) { server.workers.count == 2 }, "a signal is handled during the migration")
            #expect(!server.log().contains("configuration reloaded"), "the reload waits for its migration")

            _ = try postgres.psql("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted")
            #expect(await server.waitForLog("applied schema migration 1", timeout: .seconds(10)))
            #expect(await server.waitForLog("reload complete", timeout: .seconds(20)), "\(server.log())")
            #expect(try postgres.psql("SELECT count(*) FROM oauth2_schema_migrations") != "0")
            #expect(await server.stop() == 0)
        }
    }
}
