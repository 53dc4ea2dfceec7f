import Hummingbird
import SharedPlatform

/// Reads client credentials from HTTP Basic (RFC 6749 2.3.1: each part form-urlencoded, then
/// base64) or from `client_id`/`client_secret` in the body. Using both is refused, as the RFC asks.
package enum ClientCredentialsReader {
    static func read(_ request: Request, parameters: OAuthParameters) throws(OAuthError) -> PresentedClientCredentials? {
        let basic = try basicCredentials(request.headers[.authorization])
        if let basic {
            if parameters["client_secret"] != nil {
                throw .invalidRequest("send the client's credentials one way: HTTP Basic or the request body, not both")
            }
            if let bodyID = parameters["client_id"], bodyID != basic.clientID {
                throw .invalidRequest("client_id in the body differs from the one in the Authorization header")
            }
            return basic
        }
        guard let clientID = parameters["client_id"] else { return nil }
        return PresentedClientCredentials(clientID: clientID, secret: parameters["client_secret"])
    }

    /// The credentials of an `Authorization: Basic` header; nil for no header or another scheme.
    package static func basicCredentials(_ header: String?) throws(OAuthError) -> PresentedClientCredentials? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, HeaderText.equalsIgnoringCase(parts[0], "basic") else { return nil }
        guard let decoded = Base64URL.decodeStandard(HeaderText.trimmed(parts[1])) else {
            throw .invalidRequest("the Authorization header is not valid Base64")
        }
        guard String(validating: decoded, as: UTF8.self) != nil else {
            throw .invalidRequest("the Authorization header is not valid UTF-8")
        }
        // The first colon, found as a byte: as text, a colon followed by a combining mark would be
        // one character with it and not separate anything.
        guard let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else {
            throw .invalidRequest("the Authorization header needs client_id:client_secret")
        }
        guard let clientID = FormFields.decode(Array(decoded[..<colon])), let secret = FormFields.decode(Array(decoded[(colon + 1)...])),
            !clientID.isEmpty
        else { throw .invalidRequest("the Authorization header's credentials are not form-encoded correctly") }
        return PresentedClientCredentials(clientID: clientID, secret: secret.isEmpty ? nil : secret)
    }
}
