/// One configuration key as the server declares it: where it is, how it is read (its type,
/// accepted values and default), what a reload does when it changes, and what it is for.
/// Readers read keys through these declarations (`ConfigReader.read`), the settings reference
/// prints them, and `ConfigChange` takes its in-place keys from them.
package struct Setting<Value: Sendable>: Sendable {
    /// The key, or its pattern: a segment in angle brackets (`storage.<group>.port`) stands for
    /// any name, filled in when the key is read.
    package let key: ConfigKeyPath
    package let rule: SettingRule<Value>
    package let reload: ReloadEffect
    /// One line for the reference.
    package let summary: String

    package init(_ key: ConfigKeyPath, _ rule: SettingRule<Value>, reload: ReloadEffect, _ summary: String) {
        self.key = key
        self.rule = rule
        self.reload = reload
        self.summary = summary
    }

    /// What the reference shows of this setting.
    package var entry: SettingEntry {
        SettingEntry(key: key, type: rule.type, defaultText: rule.defaultText, reload: reload, summary: summary)
    }
}

/// A setting as the reference lists it, whatever its value's type.
package struct SettingEntry: Sendable, Equatable {
    package let key: ConfigKeyPath
    package let type: String
    package let defaultText: String
    package let reload: ReloadEffect
    package let summary: String
}

extension ConfigKeyPath {
    /// Whether a segment stands for any name (`<group>`).
    package var isPattern: Bool { keys.contains(where: Self.isPlaceholder) }

    /// This pattern with its placeholder replaced by `name` (`storage.<group>.port` → `storage.session.port`).
    package func filling(_ name: String) -> ConfigKeyPath {
        guard let index = keys.firstIndex(where: Self.isPlaceholder) else {
            preconditionFailure("\(self) has no placeholder to fill with \(name)")
        }
        var filled = keys
        filled[index] = name
        return ConfigKeyPath(filled)
    }

    /// Whether `key` is this key, or an instance of this pattern.
    package func matches(_ key: ConfigKeyPath) -> Bool {
        keys.count == key.keys.count && zip(keys, key.keys).allSatisfy { $0 == $1 || Self.isPlaceholder($0) }
    }

    private static func isPlaceholder(_ segment: String) -> Bool { segment.hasPrefix("<") && segment.hasSuffix(">") }
}

extension ConfigReader {
    /// The value of a declared key, read and checked by its declaration.
    package mutating func read<Value>(_ setting: Setting<Value>) -> Value {
        precondition(!setting.key.isPattern, "\(setting.key) is a pattern: read it for a name")
        return setting.rule.read(&self, setting.key)
    }

    /// The value of a declared pattern's key for `name` (`storage.<group>.port` for the group `session`).
    package mutating func read<Value>(_ setting: Setting<Value>, for name: String) -> Value {
        setting.rule.read(&self, setting.key.filling(name))
    }
}
