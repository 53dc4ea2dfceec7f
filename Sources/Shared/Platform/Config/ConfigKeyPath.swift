/// A dotted path to a configuration key, such as `auth_server.port`.
package struct ConfigKeyPath: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    package let keys: [String]

    package init(_ keys: [String]) { self.keys = keys }

    package init(stringLiteral value: String) {
        self.keys = value.split(separator: ".").map(String.init)
    }

    package func appending(_ key: String) -> ConfigKeyPath { ConfigKeyPath(keys + [key]) }

    package var description: String { keys.joined(separator: ".") }
}
