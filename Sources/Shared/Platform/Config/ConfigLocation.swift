import Foundation

/// Where the configuration files are and which environment's overrides apply.
///
/// Our own variable names come first; the Node original's are honoured so an existing
/// deployment keeps its service environment unchanged.
package struct ConfigLocation: Sendable, Equatable {
    package let directory: String
    package let environmentName: String
    /// The environment was named (OAUTH2_ENV, NODE_ENV), not the "development" default: its
    /// file must then exist. A typo in a service's environment must not quietly run the
    /// defaults (a dummy site, demo secrets) in production.
    package let environmentIsNamed: Bool

    package init(directory: String, environmentName: String, environmentIsNamed: Bool = false) {
        self.directory = directory
        self.environmentName = environmentName
        self.environmentIsNamed = environmentIsNamed
    }

    package static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> ConfigLocation {
        func firstSet(_ names: String...) -> String? {
            names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        }
        let named = firstSet("OAUTH2_ENV", "NODE_ENV")
        return ConfigLocation(
            directory: firstSet("OAUTH2_CONFIG_DIR", "NODE_CONFIG_DIR") ?? "./etc",
            environmentName: named ?? "development", environmentIsNamed: named != nil
        )
    }

    /// The layers in the order they are merged: later files override earlier ones.
    package var fileNames: [String] {
        ["default.json", "\(environmentName).json", "runtime.json"]
    }

    /// Resolves a path named inside the configuration. A relative path is looked up in the
    /// config folder first, then in the working directory, which is where the Node original
    /// resolved it from.
    package func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        let besideConfig = (directory as NSString).appendingPathComponent(path)
        if FileManager.default.fileExists(atPath: besideConfig) { return besideConfig }
        if FileManager.default.fileExists(atPath: path) { return path }
        return besideConfig
    }

    /// Resolves a path the server writes to (a database file): relative to the working directory.
    package func resolveForWriting(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    }
}
