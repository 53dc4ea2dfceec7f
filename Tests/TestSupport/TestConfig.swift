import Foundation

/// The configuration tests start from: loopback, a temp SQLite file, no real resource server.
package enum TestConfig {
    /// The shipped page templates (`views/` of the package).
    package static let viewsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("views").path

    package static func defaults(port: Int, workers: Int, logLevel: String, directory: String) -> [String: Any] {
        [
            "auth_server": [
                "host": "127.0.0.1",
                "port": port,
                "num_workers": workers,
                "session_secret": "test secret",
                "worker_timeout": 10,
                "shutdown_timeout": 10,
                "views_dir": viewsDirectory,
            ],
            "storage": [
                "default": ["type": "Sqlite", "path": "\(directory)/oauth2.sqlite"],
            ],
            "logging": ["level": logLevel, "short_sid": true],
            "resource_server": ["type": "dummy", "host": "127.0.0.1", "port": FreePort.loopback()],
            "client_credentials": ["file": "clients.json"],
        ]
    }

    /// The Node original's test client (secret "hunter2") and a second one, as every test server registers them.
    package static let clientsFile = """
        [{"id": "2", "name": "Automated tests", "client_id": "test",
          "client_secret": "2aa0c27d4a452d6bbb87e1b175f8e67ce75c000f", "client_salt": "$4$3SByu9lP$nEyg3Ezxj+5BDsi8uAdwtTeU4Is$",
          "allow_code_grant": true, "allow_implicit_grant": true, "valid_redirects": ["http://localhost:8080/"]}]
        """

    package static func write(_ config: [String: Any], to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
    }
}

extension Dictionary where Key == String, Value == Any {
    /// Deep merge, objects key by key, as the server merges its config layers.
    package func merging(_ other: [String: Any]) -> [String: Any] {
        var result = self
        for (key, value) in other {
            if let mine = result[key] as? [String: Any], let theirs = value as? [String: Any] {
                result[key] = mine.merging(theirs)
            } else {
                result[key] = value
            }
        }
        return result
    }
}
