/// Settings that are fine for a demo and dangerous for real: the Node original's public demo
/// client secret, the built-in dummy resource server, placeholder and short secrets. With
/// `OAUTH2_ENV=production` (or `NODE_ENV`) they are errors that stop the server and fail
/// check-config; in any other environment, warnings.
package enum DemoSettings {
    /// The secret the Node original's documentation and example clients file use for client `test`.
    static let demoClientSecret = "hunter2"
    static let placeholder = "REPLACE ME"

    package static func isProduction(_ location: ConfigLocation) -> Bool { location.environmentName == "production" }

    /// Every demo setting in use, each with its file and key.
    package static func findings(config: ServerConfig, clients: ClientRegistry) -> [ConfigProblem] {
        var found: [ConfigProblem] = []
        let document = config.document
        func add(_ key: ConfigKeyPath, _ message: String) {
            found.append(ConfigProblem(file: document.origin(of: key), key: key, message: message))
        }
        for key in placeholderKeys(in: document.merged, at: []) {
            add(key, "is still the placeholder \"\(placeholder)\"")
        }
        let secret = config.authServer.sessionSecret
        if secret != placeholder, secret.count < 32 {
            add("auth_server.session_secret", "is shorter than 32 characters: session cookies could be forged (openssl rand -base64 48 makes one)")
        }
        if let keys = config.authServer.keysSecret, keys != placeholder, keys.count < 32 {
            add("auth_server.keys_secret", "is shorter than 32 characters: the signing keys' seal could be guessed (openssl rand -base64 48 makes one)")
        }
        if config.resourceServer.type == "dummy" {
            add("resource_server.type", "is the built-in dummy site, a demo where every username signs in with the password \"password\"; name your site (type http)")
        }
        for client in clients.clients {
            if let stored = client.secret, stored.verify(demoClientSecret, clientID: client.clientID) {
                found.append(ConfigProblem(
                    file: clients.path, key: ConfigKeyPath(["client_id=\(client.clientID)", "client_secret"]),
                    message: "is the public demo secret of the Node original's documentation: anyone can act as this client (oauth2-server hash-secret makes a real one)"))
            }
        }
        return found
    }

    private static func placeholderKeys(in value: JSONValue, at path: [String]) -> [ConfigKeyPath] {
        switch value {
        case .string(let text) where text == placeholder:
            return [ConfigKeyPath(path)]
        case .object(let members):
            return members.keys.sorted().flatMap { placeholderKeys(in: members[$0]!, at: path + [$0]) }
        default:
            return []
        }
    }
}
