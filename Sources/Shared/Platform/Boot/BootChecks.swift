import Mustache
import NIOSSL

/// Everything a worker must have before it can serve, built from a valid `ServerConfig`: the
/// registered clients, the page templates and the TLS context. The worker boots from this and
/// `check-config` runs it, so the two refuse the same configurations for the same reasons.
/// (The site's options and the storage groups are part of `ServerConfig` itself.)
package struct BootChecks: Sendable {
    package let clients: ClientRegistry
    package let templates: MustacheLibrary
    package let tls: NIOSSLContext?

    /// Runs every check and throws every problem found, each with its file and key.
    package static func run(config: ServerConfig) async throws(ConfigError) -> BootChecks {
        var problems: [ConfigProblem] = []
        var clients: ClientRegistry?
        var templates: MustacheLibrary?
        var tls: NIOSSLContext?
        do { clients = try ClientRegistry.load(path: config.clientCredentials.file) } catch { problems += error.problems }
        do { templates = try await PageTemplates.load(config: config) } catch { problems += error.problems }
        do { tls = try TLSFiles.context(config: config) } catch { problems += error.problems }
        guard problems.isEmpty, let clients, let templates else { throw ConfigError(problems) }
        return BootChecks(clients: clients, templates: templates, tls: tls)
    }
}
