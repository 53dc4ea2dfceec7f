/// A dotted path to a configuration key, such as `auth_server.port`.
public struct ConfigKeyPath: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let keys: [String]

    public init(_ keys: [String]) { self.keys = keys }

    public init(stringLiteral value: String) {
        self.keys = value.split(separator: ".").map(String.init)
    }

    public func appending(_ key: String) -> ConfigKeyPath { ConfigKeyPath(keys + [key]) }

    public var description: String { keys.joined(separator: ".") }
}
