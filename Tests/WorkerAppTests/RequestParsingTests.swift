import Foundation
import SharedPlatform
import Testing
import WorkerApp

/// What the endpoints make of hostile request bytes: queries, bodies, Basic headers, session
/// cookies. Each case here was found by scripts/fuzz or is the same mistake in a sibling reader.
struct RequestParsingTests {
    /// Found by scripts/fuzz (query): the query was split as text, where `=` or `&` followed by
    /// a combining mark is one character with it, so it read differently from the same bytes
    /// posted as a form.
    @Test func aQueryIsSplitAsBytesLikeAForm() throws {
        let query = QueryParameters(query: "state=\u{065C}a&\u{0301}client_id=evil&scope=x&scope=y")
        #expect(query["state"] == "\u{065C}a")
        #expect(query["\u{0301}client_id"] == "evil")
        #expect(query.all("scope") == ["x", "y"])
        #expect(query["scope"] == nil, "a repeated parameter is never read as one")
        let form = try OAuthParameters.fromForm(Array("state=\u{065C}a&\u{0301}client_id=evil".utf8))
        #expect(form["state"] == query["state"])
    }

    /// The same mistake in the Basic header: the colon after the client id was looked for as a
    /// character.
    @Test func theBasicHeadersColonIsFoundAsAByte() throws {
        let header = "Basic " + standardBase64(Array("client:\u{0301}secret".utf8))
        let credentials = try #require(try ClientCredentialsReader.basicCredentials(header))
        #expect(credentials.clientID == "client")
        #expect(credentials.secret == "\u{0301}secret")
        let rfcExample = try #require(try ClientCredentialsReader.basicCredentials("Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"))
        #expect(rfcExample.clientID == "s6BhdRkqt3" && rfcExample.secret == "gX1fBat3bV")
        #expect(throws: OAuthError.self) { try ClientCredentialsReader.basicCredentials("Basic " + standardBase64(Array("no colon".utf8))) }
        #expect(try ClientCredentialsReader.basicCredentials("Bearer abc") == nil)
    }

    /// The token endpoint picks its body's reader by the Content-Type's media type, in any case,
    /// with or without parameters and blanks (RFC 9110 8.3.1).
    @Test func theMediaTypeIsReadWithoutItsParametersInAnyCase() {
        #expect(HeaderText.mediaType("application/x-www-form-urlencoded") == "application/x-www-form-urlencoded")
        #expect(HeaderText.mediaType("Application/X-WWW-Form-URLEncoded ; charset=UTF-8") == "application/x-www-form-urlencoded")
        #expect(HeaderText.mediaType(" application/json;charset=utf-8") == "application/json")
        #expect(HeaderText.mediaType("text/plain;a=\"x;y\"") == "text/plain")
        #expect(HeaderText.mediaType("") == "")
        #expect(HeaderText.mediaType(";charset=utf-8") == "")
        #expect(HeaderText.mediaType("t\u{E9}xt/PLAIN") == "t\u{E9}xt/plain", "only ASCII letters change case")
    }

    /// Found by scripts/fuzz (session-cookie) as an invariant: empty parts were dropped when the
    /// cookie was split, so `id..mac`, `.id.mac` and `id.mac.` verified as if they were the value
    /// signed for the id. Not a forgery (the MAC is still needed), but one id has one cookie.
    @Test func onlyTheExactSignedValueVerifies() {
        let signer = SessionIDSigner(secret: "test secret")
        let value = signer.cookieValue(for: "c2Vzc2lvbg")
        #expect(signer.verifiedID(value) == "c2Vzc2lvbg")
        let dot = value.firstIndex(of: ".")!
        for altered in [
            value.replacingCharacters(in: dot...dot, with: ".."), "." + value, value + ".", value.replacingOccurrences(of: ".", with: ""),
        ] {
            #expect(signer.verifiedID(altered) == nil, "\(altered)")
        }
        #expect(SessionIDSigner(secret: "other secret").verifiedID(value) == nil)
    }

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

    private func standardBase64(_ bytes: [UInt8]) -> String {
        var text = Base64URL.encode(bytes).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.utf8.count % 4 != 0 { text += "=" }
        return text
    }
}
