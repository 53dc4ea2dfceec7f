/// What a reload changes, and so how the supervisor applies it.
package struct ConfigChange: Sendable, Equatable {
    /// Keys whose change starts no new workers, as `Settings` declares them: those workers apply
    /// in place (the log level) or the supervisor applies alone (worker count and timeouts), and
    /// those only the supervisor's start uses (the metrics listener, the listen backlog), which
    /// new workers would not change. A change anywhere else needs new workers.
    package static let hotKeys: [ConfigKeyPath] = Settings.all.filter { $0.reload != .rollsWorkers }.map { entry in
        precondition(!entry.key.isPattern, "\(entry.key): a key under a name of the operator's cannot be hot")
        return entry.key
    }

    /// New workers are needed: something they read only at boot has changed.
    package let needsNewWorkers: Bool
    /// The listening address changed, so a new socket must be opened.
    package let addressChanged: Bool

    package init(needsNewWorkers: Bool, addressChanged: Bool) {
        self.needsNewWorkers = needsNewWorkers
        self.addressChanged = addressChanged
    }

    package init(from old: ServerConfig, to new: ServerConfig) {
        needsNewWorkers = Self.coldPart(of: old.document.merged) != Self.coldPart(of: new.document.merged)
        addressChanged = old.authServer.host != new.authServer.host || old.authServer.port != new.authServer.port
    }

    private static func coldPart(of value: JSONValue) -> JSONValue {
        hotKeys.reduce(value) { $0.removing($1) }.withoutEmptyObjects
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

    /// This value without the objects that hold nothing (an object emptied of its hot keys, say):
    /// an empty object reads as an absent one.
    var withoutEmptyObjects: JSONValue {
        guard case .object(let members) = self else { return self }
        return .object(members.compactMapValues { member in
            let pruned = member.withoutEmptyObjects
            return pruned == .object([:]) ? nil : pruned
        })
    }
}
