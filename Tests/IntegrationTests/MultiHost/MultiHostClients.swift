import Foundation
import TestSupport

/// The clients every host registers (the same file everywhere): the OAuth tests' clients, one
/// of which remembers consent; the steady load runs as their `service`.
enum MultiHostClients {
    /// The client that remembers consent ("other", whose secret the driver knows).
    static let remembering = "other"

    static let file: String = {
        let clients = try! JSONSerialization.jsonObject(with: Data(FlowClients.file.utf8)) as! [[String: Any]]
        let registered = clients.map { client in
            client["client_id"] as? String == remembering ? client.merging(["remember_consent": true]) : client
        }
        return String(decoding: try! JSONSerialization.data(withJSONObject: registered), as: UTF8.self)
    }()
}
