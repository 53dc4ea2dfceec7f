import NIOSSL

/// The certificate chain and private key of `auth_server.ssl_cert` / `ssl_key`, as the workers
/// serve them.
package enum TLSFiles {
    /// The server's TLS context, or nil without `auth_server.ssl`. Files that do not parse, or a
    /// key that is not the certificate's, are a problem naming the key and the file that set it.
    package static func context(config: ServerConfig) throws(ConfigError) -> NIOSSLContext? {
        let server = config.authServer
        guard server.ssl, let certificatePath = server.sslCertificatePath, let keyPath = server.sslKeyPath else { return nil }
        let document = config.document
        func problem(_ key: ConfigKeyPath, _ message: String) -> ConfigError {
            ConfigError([ConfigProblem(file: document.origin(of: key), key: key, message: message)])
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw problem("auth_server.ssl_cert", "\(certificatePath) is not a PEM certificate: \(error)")
        }
        guard !chain.isEmpty else { throw problem("auth_server.ssl_cert", "\(certificatePath) is not a PEM certificate: it holds none") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw problem("auth_server.ssl_key", "\(keyPath) is not a PEM private key: \(error)")
        }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        do {
            // BoringSSL refuses a private key that does not belong to the leaf certificate here.
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw problem("auth_server.ssl_key", "\(keyPath) is not the private key of the certificate in \(certificatePath): \(error)")
        }
    }
}
