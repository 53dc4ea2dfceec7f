import Foundation

/// Typed access to a configuration document that records every problem it meets,
/// each with the file and key that caused it, instead of stopping at the first.
///
/// It also remembers every key it was asked for, so that once every part of the server has
/// read its keys, whatever is left in the files is a key nothing reads: a misspelling
/// (`sentinals`), or a setting in the wrong section, which would otherwise be silently ignored.
package struct ConfigReader {
    package let document: ConfigDocument
    package private(set) var problems: [ConfigProblem] = []
    /// Findings that do not stop the server (an unknown key); `check-config --strict` fails on them.
    package private(set) var warnings: [ConfigProblem] = []
    /// Keys read as values: each covers everything below it.
    private var consumed: Set<ConfigKeyPath> = []

    package init(document: ConfigDocument) { self.document = document }

    /// The value at `key`; JSON null counts as absent, as the Node original writes `"ssl_cert": null`.
    /// Reading a key makes it (and everything below it) known.
    package mutating func value(_ key: ConfigKeyPath) -> JSONValue? {
        consumed.insert(key)
        return lookup(key)
    }

    private func lookup(_ key: ConfigKeyPath) -> JSONValue? {
        guard let value = document.merged[key], value != .null else { return nil }
        return value
    }

    package mutating func fail(_ key: ConfigKeyPath, _ message: String) {
        problems.append(ConfigProblem(file: document.origin(of: key), key: key, message: message))
    }

    package mutating func warn(_ key: ConfigKeyPath, _ message: String) {
        warnings.append(ConfigProblem(file: document.origin(of: key), key: key, message: message))
    }

    /// Marks everything under `key` as known without reading it: a section whose keys belong to
    /// someone else (a site integration's own options), or a key the Node original's files carry that
    /// this server has no use for.
    package mutating func accept(_ key: ConfigKeyPath) {
        consumed.insert(key)
    }

    /// A warning for every key in the files that nothing has read, each with the file that set
    /// it. Call once every reader has run. Keys starting with `//` are comments.
    package mutating func warnAboutUnreadKeys() {
        for key in unread(in: document.merged, at: []) {
            warn(key, "is not a key this server reads (misspelt, or in the wrong section?); it is ignored")
        }
    }

    private func unread(in value: JSONValue, at path: [String]) -> [ConfigKeyPath] {
        let key = ConfigKeyPath(path)
        if !path.isEmpty, consumed.contains(key) { return [] }
        guard case .object(let members) = value else { return path.isEmpty ? [] : [key] }
        return members.keys.sorted().filter { !$0.hasPrefix("//") }.flatMap { unread(in: members[$0]!, at: path + [$0]) }
    }

    package mutating func string(_ key: ConfigKeyPath) -> String? {
        switch value(key) {
        case nil: return nil
        case .string(let text): return text
        case .number(let number): return JSONValue.text(ofNumber: number)
        case let other?:
            fail(key, "must be a string, not \(other.typeName)")
            return nil
        }
    }

    package mutating func string(_ key: ConfigKeyPath, default fallback: String) -> String {
        string(key) ?? fallback
    }

    /// A whole number. Numbers written as strings are accepted, as the Node original writes `"port": "5432"`.
    package mutating func integer(_ key: ConfigKeyPath, default fallback: Int, in range: ClosedRange<Int>) -> Int {
        guard let number = number(key) else { return fallback }
        guard number.rounded() == number, let whole = Int(exactly: number) else {
            fail(key, "must be a whole number, not \(number)")
            return fallback
        }
        guard range.contains(whole) else {
            fail(key, "must be between \(range.lowerBound) and \(range.upperBound), not \(whole)")
            return fallback
        }
        return whole
    }

    package mutating func seconds(_ key: ConfigKeyPath, default fallback: Double, minimum: Double) -> Double {
        number(key, default: fallback, minimum: minimum, what: "a number of seconds")
    }

    /// A finite number of at least `minimum` that is not a duration (a factor).
    package mutating func number(_ key: ConfigKeyPath, default fallback: Double, minimum: Double) -> Double {
        number(key, default: fallback, minimum: minimum, what: "a number")
    }

    private mutating func number(_ key: ConfigKeyPath, default fallback: Double, minimum: Double, what: String) -> Double {
        guard let number = number(key) else { return fallback }
        guard number >= minimum, number.isFinite else {
            fail(key, "must be \(what) of at least \(minimum), not \(number)")
            return fallback
        }
        return number
    }

    package mutating func bool(_ key: ConfigKeyPath, default fallback: Bool) -> Bool {
        switch value(key) {
        case nil: return fallback
        case .bool(let flag): return flag
        case .string("true"): return true
        case .string("false"): return false
        case let other?:
            fail(key, "must be true or false, not \(other.typeName)")
            return fallback
        }
    }

    /// The members of the object at `key`, or nil (with a problem recorded) when it is not an
    /// object. Its members stay unknown until they are read themselves.
    package mutating func object(_ key: ConfigKeyPath) -> [String: JSONValue]? {
        switch lookup(key) {
        case nil: return nil
        case .object(let members): return members
        case let other?:
            fail(key, "must be an object, not \(other.typeName)")
            return nil
        }
    }

    package mutating func stringArray(_ key: ConfigKeyPath) -> [String]? {
        switch value(key) {
        case nil: return nil
        case .array(let items):
            var strings: [String] = []
            for (index, item) in items.enumerated() {
                guard case .string(let text) = item else {
                    fail(key, "item \(index) must be a string, not \(item.typeName)")
                    continue
                }
                strings.append(text)
            }
            return strings
        case let other?:
            fail(key, "must be an array of strings, not \(other.typeName)")
            return nil
        }
    }

    private mutating func number(_ key: ConfigKeyPath) -> Double? {
        switch value(key) {
        case nil: return nil
        case .number(let number): return number
        case .string(let text):
            if let number = Double(text.trimmingCharacters(in: .whitespaces)) { return number }
            fail(key, "must be a number, not \"\(text)\"")
            return nil
        case let other?:
            fail(key, "must be a number, not \(other.typeName)")
            return nil
        }
    }
}
