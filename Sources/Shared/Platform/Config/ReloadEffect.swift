/// What a SIGHUP does with a changed setting. Declared with every setting, so the settings
/// reference and the supervisor's reload (`ConfigChange`) read the same answer.
package enum ReloadEffect: Sendable, Equatable {
    /// Applied by the running processes: the supervisor alone, or every worker, without new workers.
    case inPlace
    /// Read by workers only when they start: a reload starts new workers and retires the old ones.
    case rollsWorkers
    /// Used only by what the supervisor sets up at start: a reload starts no workers for it,
    /// and the change applies at the next restart.
    case needsRestart

    /// As the settings reference prints it.
    package var label: String {
        switch self {
        case .inPlace: "in place"
        case .rollsWorkers: "rolls workers"
        case .needsRestart: "needs restart"
        }
    }
}
