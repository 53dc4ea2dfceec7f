import Foundation
import Glibc
import SharedPlatform
import SupervisorCore
import Synchronization
import Testing
import TestSupport

/// The arbiter's decisions, one loop turn at a time, on a process table kept in memory and a
/// clock the test moves (the process tests in IntegrationTests show the same on real workers).
@Suite struct ArbiterTests {
    @Test func startsTheWantedWorkersAndIsReadyOnceAllAccept() throws {
        let fixture = try ArbiterFixture(workers: 2)
        fixture.turn()
        let booting = fixture.bootingWorkers()
        #expect(booting.count == 2)
        #expect(booting.allSatisfy { fixture.table.channel(of: $0).configurations == 1 }, "each worker is sent its configuration")
        fixture.table.channel(of: booting[0]).inbox.append(.ready)
        fixture.turn()
        #expect(fixture.arbiter.phase == .starting, "ready only once every worker accepts")
        fixture.ready([booting[1]])
        #expect(fixture.arbiter.phase == .running)
    }

    @Test func aCrashedWorkerIsReplacedAfterABackoffThatGrowsWhenCrashesFollowEachOther() throws {
        let fixture = try ArbiterFixture(workers: 2)
        let first = fixture.start()
        fixture.table.end(first[0], .signaled(SIGSEGV))
        fixture.turn()
        #expect(fixture.table.started.count == 3, "the first death in a while is replaced at once")

        let replacement = fixture.table.started.last!.pid
        fixture.table.advance(.milliseconds(500))
        fixture.table.end(replacement, .exited(70))
        fixture.turn()
        #expect(fixture.table.started.count == 3, "a second death within a second waits two seconds")
        fixture.table.advance(.milliseconds(1900))
        fixture.turn()
        #expect(fixture.table.started.count == 3)
        fixture.table.advance(.milliseconds(200))
        fixture.turn()
        #expect(fixture.table.started.count == 4)
        #expect(fixture.metric(MetricName.workerRestarts, #"reason="signal""#) == 1)
        #expect(fixture.metric(MetricName.workerRestarts, #"reason="exit""#) == 1)
        #expect(fixture.arbiter.phase == .running)
    }

    @Test func aWorkerThatCannotBootStopsTheServerInsteadOfRespawningInALoop() throws {
        let fixture = try ArbiterFixture(workers: 2)
        fixture.turn()
        let booting = fixture.bootingWorkers()
        fixture.table.end(booting[0], .exited(ExitCodes.workerCannotBoot))
        #expect(fixture.turn() == nil)
        #expect(fixture.arbiter.phase == .stopping(exitCode: ExitCodes.startupFailure))
        #expect(fixture.table.channel(of: booting[1]).wasToldToQuit)
        fixture.table.advance(.seconds(10))
        fixture.turn()
        #expect(fixture.table.started.count == 2, "nothing is respawned")
        fixture.table.end(booting[1], .exited(0))
        fixture.table.endPrograms()
        #expect(fixture.turn() == ExitCodes.startupFailure)
    }

    @Test func aWorkerWithoutHeartbeatsIsKilledAndReplaced() throws {
        let fixture = try ArbiterFixture(workers: 2)
        let pids = fixture.start()
        for _ in 0..<4 {
            fixture.table.advance(.seconds(10))
            fixture.heartbeat([pids[1]])
            fixture.turn()
        }
        #expect(fixture.table.signals(sentTo: pids[0]) == [SIGKILL], "silent for 40 s of a 30 s worker_timeout")
        #expect(fixture.table.signals(sentTo: pids[1]).isEmpty, "the worker that beats is left alone")
        fixture.table.end(pids[0], .signaled(SIGKILL))
        fixture.turn()
        #expect(fixture.table.started.count == 3)
        #expect(fixture.metric(MetricName.workerRestarts, #"reason="timeout""#) == 1)
    }

    @Test func ttinAddsAWorkerAndTtouRetiresTheHighestNumbered() throws {
        let fixture = try ArbiterFixture(workers: 2)
        let pids = fixture.start()
        fixture.table.deliver(SIGTTIN)
        fixture.turn()
        #expect(fixture.arbiter.wantedWorkers == 3)
        #expect(fixture.table.started.map(\.number) == [1, 2, 3])
        let third = fixture.table.started[2].pid
        fixture.ready([third])

        fixture.table.deliver(SIGTTOU)
        fixture.table.deliver(SIGTTOU)
        fixture.table.deliver(SIGTTOU)
        fixture.turn()
        #expect(fixture.arbiter.wantedWorkers == 1, "never fewer than one")
        #expect(fixture.table.channel(of: third).wasToldToQuit)
        #expect(fixture.table.channel(of: pids[1]).wasToldToQuit)
        #expect(!fixture.table.channel(of: pids[0]).wasToldToQuit, "worker 1 stays")
    }

    @Test func aReloadThatNeedsNewWorkersStartsThemBesideTheOldAndRetiresTheOldOnceTheyAccept() async throws {
        let fixture = try ArbiterFixture(workers: 2)
        let (old, new) = try await fixture.startAndReloadWithAChangeThatNeedsNewWorkers()
        #expect(fixture.arbiter.generation == 2)
        #expect(new.count == 2)
        #expect(!old.contains { fixture.table.channel(of: $0).wasToldToQuit }, "the old generation serves until the new one accepts")

        fixture.ready([new[0]])
        #expect(fixture.arbiter.isRolling)
        fixture.ready([new[1]])
        #expect(!fixture.arbiter.isRolling)
        #expect(old.allSatisfy { fixture.table.channel(of: $0).wasToldToQuit })
        #expect(fixture.arbiter.config.authServer.refreshTokenGraceSeconds == 5)
        #expect(fixture.metric(MetricName.reloads, #"result="success""#) == 1)
    }

    @Test func aReloadWhoseNewWorkersCannotBootLeavesThePreviousGenerationServing() async throws {
        let fixture = try ArbiterFixture(workers: 2)
        let (old, new) = try await fixture.startAndReloadWithAChangeThatNeedsNewWorkers()
        fixture.ready([new[0]])
        fixture.table.end(new[1], .exited(ExitCodes.workerCannotBoot))
        fixture.turn()

        #expect(!fixture.arbiter.isRolling)
        #expect(fixture.arbiter.phase == .running, "a reload that fails half-way does not stop the server")
        #expect(fixture.arbiter.generation == 1)
        #expect(fixture.arbiter.config.authServer.refreshTokenGraceSeconds == 0)
        #expect(fixture.table.channel(of: new[0]).wasToldToQuit, "the new worker that did boot is retired")
        #expect(!old.contains { fixture.table.channel(of: $0).wasToldToQuit })
        #expect(fixture.metric(MetricName.reloads, #"result="failure""#) == 1)

        // A later reload makes a generation of its own, not the abandoned one's number again.
        fixture.table.deliver(SIGHUP)
        #expect(await fixture.turn { fixture.arbiter.generation == 3 })
        #expect(fixture.workers(ofGeneration: 3).count == 2)
    }

    @Test func aReloadOfHotSettingsIsAppliedInPlace() async throws {
        let fixture = try ArbiterFixture(workers: 2)
        let pids = fixture.start()
        try fixture.writeRuntime(["logging": ["level": "debug"]])
        fixture.table.deliver(SIGHUP)
        #expect(await fixture.turn { fixture.metric(MetricName.reloads, #"result="success""#) == 1 })
        #expect(!fixture.arbiter.isRolling)
        #expect(fixture.table.started.count == 2, "no new workers")
        #expect(pids.allSatisfy { fixture.table.channel(of: $0).configurations == 2 }, "each running worker gets the new configuration")
        #expect(fixture.arbiter.config.logging.level == .debug)
    }

    @Test func anEditedTemplateRollsTheWorkersOnReload() async throws {
        let fixture = try ArbiterFixture(workers: 2)
        fixture.start()
        let login = fixture.folder + "/views/login.mustache"
        try (String(contentsOfFile: login, encoding: .utf8) + "{{! edited }}\n").write(toFile: login, atomically: true, encoding: .utf8)
        fixture.table.deliver(SIGHUP)
        #expect(await fixture.turn { fixture.arbiter.isRolling }, "workers read templates at boot: new ones are needed")
        #expect(fixture.workers(ofGeneration: 2).count == 2)
    }

    @Test func aBrokenFileOnReloadChangesNothing() async throws {
        let fixture = try ArbiterFixture(workers: 2)
        let pids = fixture.start()
        try fixture.writeRuntime(text: #"{"auth_server": {"num_workers": 5,"#)
        fixture.table.deliver(SIGHUP)
        #expect(await fixture.turn { fixture.metric(MetricName.reloads, #"result="failure""#) == 1 })
        #expect(fixture.arbiter.generation == 1)
        #expect(fixture.arbiter.wantedWorkers == 2)
        #expect(pids.allSatisfy { fixture.table.channel(of: $0).configurations == 1 })
    }

    @Test func stoppingWaitsForInFlightRequestsUntilTheDeadlineThenKills() throws {
        let fixture = try ArbiterFixture(workers: 2)
        let pids = fixture.start()
        fixture.table.deliver(SIGTERM)
        fixture.turn()
        #expect(fixture.arbiter.phase == .stopping(exitCode: ExitCodes.success))
        #expect(pids.allSatisfy { fixture.table.channel(of: $0).wasToldToQuit })
        fixture.table.end(pids[0], .exited(0))
        fixture.table.advance(.seconds(14))
        #expect(fixture.turn() == nil)
        #expect(fixture.table.signals(sentTo: pids[1]).isEmpty, "within shutdown_timeout (10 s) and its 5 s of grace")
        fixture.table.advance(.seconds(2))
        fixture.turn()
        #expect(fixture.table.signals(sentTo: pids[1]) == [SIGKILL])
        fixture.table.end(pids[1], .signaled(SIGKILL))
        #expect(fixture.turn() == nil, "the dummy site has not stopped yet")
        fixture.table.endPrograms()
        #expect(fixture.turn() == ExitCodes.success)
        #expect(fixture.table.started.count == 2, "nothing is replaced while stopping")
    }

    @Test func aSecondSigtermKillsAtOnce() throws {
        let fixture = try ArbiterFixture(workers: 2)
        let pids = fixture.start()
        fixture.table.deliver(SIGTERM)
        fixture.turn()
        fixture.table.deliver(SIGTERM)
        fixture.turn()
        #expect(pids.allSatisfy { fixture.table.signals(sentTo: $0) == [SIGKILL] })
    }

    @Test func theLoopGoesOnWhileAReloadPreparesItsStorage() async throws {
        let gate = StorageGate()
        let fixture = try ArbiterFixture(workers: 2, prepareStorage: { _, _ in try await gate.pass() })
        let old = fixture.start()
        try fixture.writeRuntime(["storage": ["audit": ["type": "Sqlite", "path": fixture.folder + "/audit.sqlite"]]])
        fixture.table.deliver(SIGHUP)
        #expect(await fixture.turn { gate.isWaiting })

        // Forty seconds of a 30 s worker_timeout pass while the migration runs: heartbeats and
        // signals are still read, so nobody is killed and SIGTTIN still adds a worker.
        for _ in 0..<4 {
            fixture.table.advance(.seconds(10))
            fixture.heartbeat(fixture.workers(ofGeneration: 1))
            fixture.turn()
        }
        #expect(old.allSatisfy { fixture.table.signals(sentTo: $0).isEmpty })
        fixture.table.deliver(SIGTTIN)
        fixture.turn()
        #expect(fixture.arbiter.wantedWorkers == 3)
        #expect(fixture.arbiter.generation == 1, "the new configuration waits for its storage")

        gate.open()
        #expect(await fixture.turn { fixture.arbiter.generation == 2 })
        #expect(fixture.arbiter.isRolling)
    }

    @Test func aReloadWhoseStorageCannotBePreparedKeepsThePreviousConfiguration() async throws {
        let fixture = try ArbiterFixture(workers: 2, prepareStorage: { _, _ in throw CocoaError(.fileWriteNoPermission) })
        fixture.start()
        try fixture.writeRuntime(["storage": ["audit": ["type": "Sqlite", "path": fixture.folder + "/audit.sqlite"]]])
        fixture.table.deliver(SIGHUP)
        #expect(await fixture.turn { fixture.metric(MetricName.reloads, #"result="failure""#) == 1 })
        #expect(fixture.arbiter.generation == 1)
        #expect(fixture.table.started.count == 2)
    }
}

/// Holds a storage preparation until the test opens it.
final class StorageGate: Sendable {
    private let state = Mutex<(waiting: Bool, open: Bool)>((false, false))

    var isWaiting: Bool { state.withLock { $0.waiting } }

    func open() { state.withLock { $0.open = true } }

    func pass() async throws {
        state.withLock { $0.waiting = true }
        while !state.withLock({ $0.open }) { try await Task.sleep(for: .milliseconds(10)) }
    }
}
