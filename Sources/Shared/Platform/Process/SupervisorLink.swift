import CProcessShims
import Foundation

/// Ties a child process's life to its supervisor's: a worker or the dummy site must not run on
/// after the supervisor is gone (killed, crashed), holding the port.
package enum SupervisorLink {
    /// Asks the kernel for SIGTERM when the supervisor exits. Returns false if it is already gone
    /// (it may have died before this call), in which case the caller should exit.
    package static func stopWithSupervisor(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let supervisor = environment[WorkerContract.supervisorPIDVariable].flatMap(Int32.init) else { return true }
        _ = oauth2_set_parent_death_signal(SIGTERM)
        return getppid() == supervisor
    }
}
