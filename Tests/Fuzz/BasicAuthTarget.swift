import Foundation
import SharedPlatform
@testable import WorkerApp

/// `Authorization: Basic` headers (RFC 6749 2.3.1: each part form-encoded, then base64) and the
/// base64 decoders under them.
enum BasicAuthTarget {
    static func run(_ input: [UInt8]) {
        let header = String(decoding: input, as: UTF8.self)
        if let credentials = try? ClientCredentialsReader.basicCredentials(header) {
            invariant(!credentials.clientID.isEmpty, "a client id is never empty")
            // The header a client library builds for these credentials reads back the same.
            let pair = "\(PercentEncoding.component(credentials.clientID)):\(PercentEncoding.component(credentials.secret ?? ""))"
            let again = try? ClientCredentialsReader.basicCredentials("Basic \(standardBase64(Array(pair.utf8)))")
            invariant(again?.clientID == credentials.clientID && again?.secret == credentials.secret, "credentials do not round trip")
        }

        // The header's token, and the whole input, through both decoders: one encoding per value.
        let token = header.split(separator: " ", maxSplits: 1).last.map(String.init) ?? ""
        for text in [token, header] {
            if let decoded = Base64URL.decodeStandard(text) {
                invariant(standardBase64(decoded) == text, "decodeStandard accepted a non-canonical encoding")
                invariant(Data(base64Encoded: text).map(Array.init) == decoded, "decodeStandard and Foundation disagree")
            }
            if let decoded = Base64URL.decode(text) {
                invariant(Base64URL.encode(decoded) == text, "decode accepted a non-canonical encoding")
            }
        }
        invariant(Base64URL.decode(Base64URL.encode(input)) == input, "URL-safe base64 round trip")
        invariant(Base64URL.decodeStandard(standardBase64(input)) == input, "standard base64 round trip")
    }

    /// RFC 4648 section 4 base64 with padding, as HTTP clients send it.
    static func standardBase64(_ bytes: [UInt8]) -> String {
        var text = Base64URL.encode(bytes).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.utf8.count % 4 != 0 { text += "=" }
        return text
    }
}
