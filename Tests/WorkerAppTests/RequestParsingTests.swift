import Foundation
import OAuth2Shared
import Testing
import WorkerApp

/// What the endpoints make of hostile request bytes: queries, bodies, Basic headers, session
/// cookies. Each case here was found by scripts/fuzz or is the same mistake in a sibling reader.
struct RequestParsingTests {
    /// A JSON body may not repeat a parameter either (RFC 6749 3.2): Foundation's decoder, which
    /// read it before, kept the first value silently.
    @Test func aJSONBodyWithARepeatedParameterIsRefused() throws {
        #expect(throws: OAuthError.self) { try OAuthParameters.fromJSON(#"{"client_id":"a","client_id":"b"}"#) }
        #expect(throws: OAuthError.self) { try OAuthParameters.fromJSON(#"{"grant_type":"client_credentials",}"#) }
        let parameters = try OAuthParameters.fromJSON(#"{"grant_type":"client_credentials","expires_in":3600,"state":null}"#)
        #expect(parameters["grant_type"] == "client_credentials")
        #expect(parameters["expires_in"] == "3600")
        #expect(parameters["state"] == nil)
    }
}
