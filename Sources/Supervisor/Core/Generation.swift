import Foundation
import OAuth2Shared

/// One configuration as the server runs it, like nginx's cycle: the settings, the listening
/// socket and the certificate files its workers were started with. A reload that needs new
/// workers makes the next generation; the previous one keeps serving until the new one
/// accepts, and takes over again if the new one cannot boot.
struct Generation {
    let number: Int
    let config: ServerConfig
    let listener: ListeningSocket
    /// The certificate and key as they were on disk, so a renewed certificate rolls the workers.
    let tlsFiles: [Data?]

    init(number: Int, config: ServerConfig, listener: ListeningSocket, tlsFiles: [Data?]? = nil) {
        self.number = number
        self.config = config
        self.listener = listener
        self.tlsFiles = tlsFiles ?? Self.readTLSFiles(config)
    }

    static func readTLSFiles(_ config: ServerConfig) -> [Data?] {
        guard config.authServer.ssl else { return [] }
        return [config.authServer.sslCertificatePath, config.authServer.sslKeyPath].map { path in
            path.flatMap { FileManager.default.contents(atPath: $0) }
        }
    }
}
