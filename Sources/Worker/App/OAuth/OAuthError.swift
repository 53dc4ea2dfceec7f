/// An error in RFC 6749's vocabulary (sections 4.1.2.1 and 5.2), raised by the OAuth logic and
/// turned into a response in one place by the endpoints (`OAuthResponses`).
package struct OAuthError: Error, Sendable, Equatable, CustomStringConvertible {
    package let code: String
    package let message: String

    package static func invalidRequest(_ message: String) -> OAuthError { OAuthError(code: "invalid_request", message: message) }
    package static func invalidClient(_ message: String) -> OAuthError { OAuthError(code: "invalid_client", message: message) }
    package static func invalidGrant(_ message: String) -> OAuthError { OAuthError(code: "invalid_grant", message: message) }
    package static func unauthorizedClient(_ message: String) -> OAuthError { OAuthError(code: "unauthorized_client", message: message) }
    package static func unsupportedGrantType(_ message: String) -> OAuthError { OAuthError(code: "unsupported_grant_type", message: message) }
    package static func unsupportedResponseType(_ message: String) -> OAuthError {
        OAuthError(code: "unsupported_response_type", message: message)
    }
    package static func invalidScope(_ message: String) -> OAuthError { OAuthError(code: "invalid_scope", message: message) }
    package static func accessDenied(_ message: String) -> OAuthError { OAuthError(code: "access_denied", message: message) }
    /// OpenID Connect Core 3.1.2.6: `prompt=none`, but the user would have to sign in.
    package static func loginRequired(_ message: String) -> OAuthError { OAuthError(code: "login_required", message: message) }
    /// OpenID Connect Core 3.1.2.6: `prompt=none`, but the user would have to consent.
    package static func consentRequired(_ message: String) -> OAuthError { OAuthError(code: "consent_required", message: message) }

    package var description: String { "\(code): \(message)" }
}
