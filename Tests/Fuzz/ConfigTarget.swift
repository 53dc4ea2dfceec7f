import Foundation
import SharedPlatform

/// The configuration reader: a config file (alone and over the shipped etc/default.json, as an
/// operator's file overrides it) read into `ServerConfig`, and a clients file into `ClientRegistry`.
enum ConfigTarget {
    static let location = ConfigLocation(directory: "/nonexistent/oauth2-fuzz/etc", environmentName: "fuzz")

    /// The shipped defaults, found beside this source file.
    static let defaults: JSONValue = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../etc/default.json").path
        guard let data = FileManager.default.contents(atPath: path), let value = try? JSONValue.parse(data) else {
            fatalError("cannot read \(path)")
        }
        return value
    }()

    static func run(_ input: [UInt8]) {
        guard let value = try? JSONValue.parse(Data(input)) else { return }
        invariant((try? JSONValue.parse(value.serialized())) == value, "\(value) does not survive serialization")
        invariant(value.merged(with: value) == value, "merging a value with itself changes it")

        switch value {
        case .object:
            for layers in [[value], [defaults, value]] {
                let document = ConfigDocument(
                    location: location, layers: layers.enumerated().map { ConfigDocument.Layer(path: "layer\($0.offset).json", value: $0.element) })
                do {
                    _ = try ServerConfig(document: document)
                } catch {
                    invariant(!error.problems.isEmpty, "a refused config names no problem")
                    for problem in error.problems where problem.key != nil {
                        // Every key has a file to blame: the layer that set it or its nearest parent.
                        invariant(problem.file != nil, "\(problem) names no file")
                    }
                }
            }
        case .array:
            do {
                let registry = try ClientRegistry(path: "clients.json", value: value)
                for client in registry.clients {
                    invariant(registry.client(client.clientID)?.clientID == client.clientID, "client \(client.clientID) not found by its id")
                }
            } catch {
                invariant(!error.problems.isEmpty, "a refused clients file names no problem")
            }
        default:
            break
        }
    }
}
