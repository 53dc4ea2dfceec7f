import Foundation
import SharedPlatform

/// One configuration as the server runs it, like nginx's cycle: the settings, the listening
/// socket and the files its workers read at boot. A reload that needs new workers makes the
/// next generation; the previous one keeps serving until the new one accepts, and takes over
/// again if the new one cannot boot.
struct Generation {
    let number: Int
    let config: ServerConfig
    let listener: ListeningSocket
    /// What the workers read at boot besides the configuration, as it was on disk.
    let files: BootFiles

    init(number: Int, config: ServerConfig, listener: ListeningSocket, files: BootFiles? = nil) {
        self.number = number
        self.config = config
        self.listener = listener
        self.files = files ?? BootFiles(config)
    }
}

/// The files a worker reads once, at boot, besides the configuration: the certificate and key,
/// and the page templates. A reload that finds any of them changed (a renewed certificate, an
/// edited template) starts new workers, as a changed setting does.
struct BootFiles: Equatable, Sendable {
    private let tls: [Data?]
    private let templates: [String: Data]

    init(_ config: ServerConfig) {
        tls = config.authServer.ssl
            ? [config.authServer.sslCertificatePath, config.authServer.sslKeyPath].map { $0.flatMap(FileManager.default.contents) }
            : []
        templates = Self.templates(in: config.authServer.viewsDirectory)
    }

    /// Every file under the templates folder (through a symlinked folder, as the workers read it).
    private static func templates(in directory: String) -> [String: Data] {
        let root = URL(fileURLWithPath: directory).resolvingSymlinksInPath()
        guard let walk = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [:] }
        var files: [String: Data] = [:]
        for case let file as URL in walk {
            if let contents = FileManager.default.contents(atPath: file.path) { files[file.path] = contents }
        }
        return files
    }
}
