import Foundation
import TestSupport
import Testing

/// HTTPS with `auth_server.ssl`, and a renewed certificate picked up by SIGHUP.
extension IntegrationTests {
    @Suite(.serialized)
    struct TLSTests {
        /// Writes a fresh self-signed certificate and key for 127.0.0.1 with openssl.
        private func makeCertificate(in directory: String, commonName: String) throws {
            let result = try Command.output("/usr/bin/openssl", [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "\(directory)/key.pem", "-out", "\(directory)/cert.pem", "-days", "2",
                "-subj", "/CN=\(commonName)", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
            try #require(result.status == 0, "\(result.output)")
        }

        /// The subject of the certificate the server presents now.
        private func presentedSubject(port: Int) throws -> String {
            let result = try Command.output("/bin/sh", ["-c",
                "openssl s_client -connect 127.0.0.1:\(port) -servername localhost </dev/null 2>/dev/null | openssl x509 -noout -subject"])
            return result.output
        }

        @Test func servesHTTPSAndPicksUpARenewedCertificateOnSIGHUP() async throws {
            let directory = TestEnvironment.temporaryDirectory("oauth2-tls")
            try makeCertificate(in: directory, commonName: "first")
            let server = try await ServerProcess.start(
                workers: 2,
                overrides: ["auth_server": ["ssl": true, "ssl_cert": "\(directory)/cert.pem", "ssl_key": "\(directory)/key.pem"]]
            )
            defer { server.kill() }

            #expect(server.baseURL.hasPrefix("https://"))
            let response = try await TestHTTP.get("\(server.baseURL)/healthcheck")
            #expect(response.status == 200)
            #expect(response.header("Strict-Transport-Security") == "max-age=31536000", "browsers keep to https")
            #expect(try presentedSubject(port: server.port).contains("CN = first"))
            await #expect(throws: (any Error).self) { try await TestHTTP.get("http://127.0.0.1:\(server.port)/healthcheck") }

            try makeCertificate(in: directory, commonName: "renewed")
            server.signal(SIGHUP)
            #expect(await server.waitForLog("reload complete", timeout: .seconds(20)))
            #expect(await eventually { (try? presentedSubject(port: server.port).contains("CN = renewed")) == true })
            #expect(try await TestHTTP.get("\(server.baseURL)/healthcheck").status == 200)
            #expect(await server.stop() == 0)
        }
    }
}
