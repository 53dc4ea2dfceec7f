import Foundation

/// The configuration files as read: each layer kept for error messages, and their merge.
package struct ConfigDocument: Sendable, Equatable {
    /// One file that was found and parsed.
    package struct Layer: Sendable, Equatable {
        package let path: String
        package let value: JSONValue

        package init(path: String, value: JSONValue) {
            self.path = path
            self.value = value
        }
    }

    package let location: ConfigLocation
    package let layers: [Layer]
    package let merged: JSONValue

    package init(location: ConfigLocation, layers: [Layer]) {
        self.location = location
        self.layers = layers
        self.merged = layers.reduce(JSONValue.object([:])) { $0.merged(with: $1.value) }
    }

    /// A document of one layer, already merged (tests, tools).
    package init(location: ConfigLocation, merged: JSONValue, origin: String) {
        self.init(location: location, layers: [Layer(path: origin, value: merged)])
    }

    /// The file whose value for `key` won the merge, so a problem can name it.
    package func origin(of key: ConfigKeyPath) -> String? {
        var path = key
        while true {
            if let layer = layers.last(where: { $0.value[path] != nil }) { return layer.path }
            guard !path.keys.isEmpty else { return nil }
            path = ConfigKeyPath(Array(path.keys.dropLast()))
        }
    }

    /// Reads every layer that exists in `location`. A missing file is skipped, except the file of
    /// an environment that was named; an unreadable or malformed one is an error naming it.
    package static func load(from location: ConfigLocation) throws(ConfigError) -> ConfigDocument {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: location.directory, isDirectory: &isDirectory),
            isDirectory.boolValue
        else {
            throw ConfigError([
                ConfigProblem(file: location.directory, key: nil, message: "the configuration folder does not exist")
            ])
        }
        var layers: [Layer] = []
        var problems: [ConfigProblem] = []
        for name in location.fileNames {
            let path = (location.directory as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: path) else {
                if location.environmentIsNamed && name == "\(location.environmentName).json" {
                    problems.append(ConfigProblem(
                        file: path, key: nil,
                        message: "does not exist, yet OAUTH2_ENV (or NODE_ENV) names the environment \"\(location.environmentName)\": create it (\"{}\" will do) or unset the variable"))
                }
                continue
            }
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                let value = try JSONValue.parse(data)
                guard case .object = value else {
                    problems.append(ConfigProblem(file: path, key: nil, message: "must hold a JSON object, not \(value.typeName)"))
                    continue
                }
                layers.append(Layer(path: path, value: value))
            } catch let error as JSONSyntaxError {
                problems.append(ConfigProblem(file: path, key: nil, message: "is not valid JSON: \(error.description)"))
            } catch {
                problems.append(ConfigProblem(file: path, key: nil, message: "cannot be read: \(error.localizedDescription)"))
            }
        }
        guard problems.isEmpty else { throw ConfigError(problems) }
        return ConfigDocument(location: location, layers: layers)
    }
}
