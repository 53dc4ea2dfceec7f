import Foundation
import SharedPlatform

/// The redirect that answers an authorization request: parameters added to the client's
/// registered URI (keeping its own query), in the query for codes and the fragment for
/// implicit tokens, always with `state` as sent and `iss` (RFC 9207), for errors too.
package struct AuthorizationRedirect: Sendable, Equatable {
    package let uri: String
    package let inFragment: Bool
    package let state: String?

    package init(uri: String, inFragment: Bool, state: String?) {
        self.uri = uri
        self.inFragment = inFragment
        self.state = state
    }

    package func location(_ parameters: [(String, String)], issuer: String) -> String {
        var all = parameters
        if let state { all.append(("state", state)) }
        all.append(("iss", issuer))
        let encoded = all.map { "\($0)=\(PercentEncoding.component($1))" }.joined(separator: "&")
        if inFragment { return "\(uri)#\(encoded)" }
        return uri.contains("?") ? "\(uri)&\(encoded)" : "\(uri)?\(encoded)"
    }

    package func location(_ error: OAuthError, issuer: String) -> String {
        location([("error", error.code), ("error_description", error.message)], issuer: issuer)
    }
}
