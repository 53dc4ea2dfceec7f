import SharedPlatform

/// Every site integration, by the options `SiteOptions` read for its `resource_server.type`.
/// A site adds its own by writing one file with a `ResourceServer`, its case in `SiteOptions`
/// (so `check-config` checks its keys too) and one line here.
package enum ResourceServerTypes {
    /// The configured site. The configuration was checked whole, options included, when it was read.
    package static func make(config: ServerConfig, http: SiteHTTPClient) -> any ResourceServer {
        switch config.resourceServer.site {
        case .dummy: DummySite(http: http)
        case .http(let options): HTTPSite(options: options, http: http)
        }
    }
}
