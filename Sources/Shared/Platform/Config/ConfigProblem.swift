/// One thing wrong with the configuration, located by file and key so an operator can fix it.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    /// The file the offending value came from, or nil when the value is missing everywhere.
    public let file: String?
    /// The key, or nil when the whole file is at fault (a syntax error).
    public let key: ConfigKeyPath?
    public let message: String

    public init(file: String?, key: ConfigKeyPath?, message: String) {
        self.file = file
        self.key = key
        self.message = message
    }

    public var description: String {
        switch (file, key) {
        case let (file?, key?): "\(file): \(key): \(message)"
        case let (file?, nil): "\(file): \(message)"
        case let (nil, key?): "\(key): \(message)"
        case (nil, nil): message
        }
    }
}

/// Every problem found in one load, thrown together so `check-config` can list them all.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public let problems: [ConfigProblem]

    public init(_ problems: [ConfigProblem]) { self.problems = problems }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
