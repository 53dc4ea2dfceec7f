/// An error in RFC 6749's vocabulary (sections 4.1.2.1 and 5.2), raised by the OAuth logic and
/// turned into a response in one place by the endpoints (`OAuthResponses`).
public struct OAuthError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String

    public static func invalidRequest(_ message: String) -> OAuthError { OAuthError(code: "invalid_request", message: message) }
    public static func invalidClient(_ message: String) -> OAuthError { OAuthError(code: "invalid_client", message: message) }
    public static func invalidGrant(_ message: String) -> OAuthError { OAuthError(code: "invalid_grant", message: message) }
    public static func unauthorizedClient(_ message: String) -> OAuthError { OAuthError(code: "unauthorized_client", message: message) }
    public static func unsupportedGrantType(_ message: String) -> OAuthError { OAuthError(code: "unsupported_grant_type", message: message) }
    public static func unsupportedResponseType(_ message: String) -> OAuthError {
        OAuthError(code: "unsupported_response_type", message: message)
    }
    public static func invalidScope(_ message: String) -> OAuthError { OAuthError(code: "invalid_scope", message: message) }
    public static func accessDenied(_ message: String) -> OAuthError { OAuthError(code: "access_denied", message: message) }
    /// OpenID Connect Core 3.1.2.6: `prompt=none`, but the user would have to sign in.
    public static func loginRequired(_ message: String) -> OAuthError { OAuthError(code: "login_required", message: message) }
    /// OpenID Connect Core 3.1.2.6: `prompt=none`, but the user would have to consent.
    public static func consentRequired(_ message: String) -> OAuthError { OAuthError(code: "consent_required", message: message) }

    public var description: String { "\(code): \(message)" }
}
