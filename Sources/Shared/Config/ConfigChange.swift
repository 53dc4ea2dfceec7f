/// What a reload changes, and so how the supervisor applies it.
public struct ConfigChange: Sendable, Equatable {
    /// Keys workers apply in place (the log level) or the supervisor applies alone
    /// (worker count and timeouts). A change anywhere else needs new workers.
    public static let hotKeys: [ConfigKeyPath] = [
        "logging",
        "auth_server.num_workers",
        "auth_server.worker_timeout",
        "auth_server.shutdown_timeout",
        // Bound by the supervisor at start; workers count the same way whatever it says.
        "auth_server.metrics",
    ]

    /// New workers are needed: something they read only at boot has changed.
    public let needsNewWorkers: Bool
    /// The listening address changed, so a new socket must be opened.
    public let addressChanged: Bool

    public init(needsNewWorkers: Bool, addressChanged: Bool) {
        self.needsNewWorkers = needsNewWorkers
        self.addressChanged = addressChanged
    }

    public init(from old: ServerConfig, to new: ServerConfig) {
        needsNewWorkers = Self.coldPart(of: old.document.merged) != Self.coldPart(of: new.document.merged)
        addressChanged = old.authServer.host != new.authServer.host || old.authServer.port != new.authServer.port
    }

    private static func coldPart(of value: JSONValue) -> JSONValue {
        hotKeys.reduce(value) { $0.removing($1) }
    }
}

extension JSONValue {
    /// This value without the key at `path` (unchanged where the path does not exist).
    func removing(_ path: ConfigKeyPath) -> JSONValue {
        guard let first = path.keys.first, case .object(var members) = self else { return self }
        if path.keys.count == 1 {
            members[first] = nil
        } else if let child = members[first] {
            members[first] = child.removing(ConfigKeyPath(Array(path.keys.dropFirst())))
        }
        return .object(members)
    }
}
