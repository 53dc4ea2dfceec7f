/// One thing wrong with the configuration, located by file and key so an operator can fix it.
package struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    /// The file the offending value came from, or nil when the value is missing everywhere.
    package let file: String?
    /// The key, or nil when the whole file is at fault (a syntax error).
    package let key: ConfigKeyPath?
    package let message: String

    package init(file: String?, key: ConfigKeyPath?, message: String) {
        self.file = file
        self.key = key
        self.message = message
    }

    package var description: String {
        switch (file, key) {
        case let (file?, key?): "\(file): \(key): \(message)"
        case let (file?, nil): "\(file): \(message)"
        case let (nil, key?): "\(key): \(message)"
        case (nil, nil): message
        }
    }
}

/// Every problem found in one load, thrown together so `check-config` can list them all.
package struct ConfigError: Error, Sendable, CustomStringConvertible {
    package let problems: [ConfigProblem]

    package init(_ problems: [ConfigProblem]) { self.problems = problems }

    package var description: String { problems.map(\.description).joined(separator: "\n") }
}
