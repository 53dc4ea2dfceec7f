import OAuth2Shared

/// Every site integration, by its `resource_server.type` name. A site adds its own by writing
/// one file with a `ResourceServer` and one line here.
public enum ResourceServerTypes {
    typealias Factory = @Sendable (_ reader: inout ConfigReader, _ http: SiteHTTPClient) throws -> any ResourceServer

    static let all: [String: Factory] = [
        "dummy": { _, http in DummySite(http: http) },
        "http": { reader, http in try HTTPSite(reader: &reader, http: http) },
    ]

    /// The configured site, or a boot failure naming the key at fault.
    public static func make(config: ServerConfig, http: SiteHTTPClient) throws -> any ResourceServer {
        let type = config.resourceServer.type
        guard let factory = all[type] else {
            throw ConfigError([ConfigProblem(
                file: config.document.origin(of: "resource_server.type"), key: "resource_server.type",
                message: "unknown resource server type \"\(type)\"; known types: \(all.keys.sorted().joined(separator: ", "))")])
        }
        var reader = ConfigReader(document: config.document)
        return try factory(&reader, http)
    }
}
