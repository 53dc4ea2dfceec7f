/// An error in RFC 6749's vocabulary (section 5.2), raised by the OAuth logic and turned into
/// a response in one place by the endpoints.
public struct OAuthError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String

    public static func invalidGrant(_ message: String) -> OAuthError { OAuthError(code: "invalid_grant", message: message) }
    public static func invalidRequest(_ message: String) -> OAuthError { OAuthError(code: "invalid_request", message: message) }
    public static func invalidClient(_ message: String) -> OAuthError { OAuthError(code: "invalid_client", message: message) }
    public static func unauthorizedClient(_ message: String) -> OAuthError { OAuthError(code: "unauthorized_client", message: message) }

    public var description: String { "\(code): \(message)" }
}
