/// What the supervisor and its workers agree on: descriptor numbers, environment names, exit codes.
package enum WorkerContract {
    /// The shared listening socket every worker accepts on.
    package static let listenDescriptor: Int32 = 3
    /// The worker's end of its control socket pair (newline-delimited JSON `ControlMessage`s).
    package static let controlDescriptor: Int32 = 4
    /// The worker's metrics region (`MetricsRegion`), when `auth_server.metrics` is on.
    package static let metricsDescriptor: Int32 = 5

    /// The worker's slot number (1-based), shown in its log role `worker.N`.
    package static let workerNumberVariable = "OAUTH2_WORKER_NUMBER"
    /// The supervisor's pid, so a worker can tell its parent is gone.
    package static let supervisorPIDVariable = "OAUTH2_SUPERVISOR_PID"
    /// Set (to the descriptor's number) when the supervisor passes a metrics region.
    package static let metricsVariable = "OAUTH2_METRICS_DESCRIPTOR"

    package static let workerExecutableName = "oauth2-worker"

    /// How often a worker reports that its event loops still run, as a fraction of `worker_timeout`.
    package static func heartbeatInterval(workerTimeout: Double) -> Double {
        max(0.1, min(2, workerTimeout / 4))
    }
}

/// Process exit codes with a meaning the supervisor acts on.
package enum ExitCodes {
    package static let success: Int32 = 0
    /// Bad configuration or another start-up failure of the supervisor.
    package static let startupFailure: Int32 = 1
    /// A worker that cannot boot (unusable config, unreadable certificate, broken template):
    /// respawning it would fail the same way, so the supervisor does not.
    package static let workerCannotBoot: Int32 = 3
}
