import OAuth2Shared

/// A checked request to the authorization endpoint (RFC 6749 4.1.1 and 4.2.1, RFC 7636 4.3):
/// what the consent page shows and what the user's answer applies to.
public struct AuthorizationRequest: Codable, Sendable, Equatable {
    public enum ResponseType: String, Codable, Sendable {
        case code
        /// The implicit grant: the token in the redirect's fragment.
        case token
    }

    public let responseType: ResponseType
    public let clientID: String
    public let redirectURI: String
    /// False when the client left redirect_uri out and its only registered one is used.
    public let redirectURIGiven: Bool
    public let scope: [String]
    public let state: String?
    public let pkce: PKCEChallenge?

    /// Why a request cannot be answered the normal way.
    public enum Problem: Error, Equatable {
        /// The client or its redirect URI cannot be trusted: tell the user, never redirect (4.1.2.1).
        case cannotRedirect(String)
        /// Tell the client, at its redirect URI.
        case redirect(OAuthError, to: AuthorizationRedirect)
    }

    /// One parameter of the request as sent: RFC 6749 3.1 forbids sending one twice, and an
    /// empty value counts as absent.
    enum Parameter: Equatable {
        case absent, repeated, value(String)

        init(_ values: [String]) {
            switch values.count {
            case 0: self = .absent
            case 1: self = values[0].isEmpty ? .absent : .value(values[0])
            default: self = .repeated
            }
        }

        var value: String? { if case .value(let text) = self { text } else { nil } }
    }

    /// Checks a request, given each parameter's values. Problems with the client or its
    /// redirect URI come first, since every other problem is reported at that URI.
    public static func check(
        _ values: (String) -> [String], clients: ClientRegistry, scopes: ScopePolicy
    ) throws(Problem) -> AuthorizationRequest {
        func parameter(_ name: String) -> Parameter { Parameter(values(name)) }
        guard case .value(let clientID) = parameter("client_id") else {
            throw .cannotRedirect("The request does not name an application (client_id).")
        }
        guard let client = clients.client(clientID) else { throw .cannotRedirect("The application \"\(clientID)\" is not registered here.") }
        let (redirectURI, given) = try redirectURI(parameter("redirect_uri"), of: client)

        let responseTypeParameter = parameter("response_type")
        let state = parameter("state").value
        let redirect = AuthorizationRedirect(uri: redirectURI, inFragment: responseTypeParameter == .value("token"), state: state)
        func fail(_ error: OAuthError) -> Problem { .redirect(error, to: redirect) }

        for name in ["state", "scope", "code_challenge", "code_challenge_method"] where parameter(name) == .repeated {
            throw fail(.invalidRequest("\(name) was sent more than once"))
        }
        let responseType: ResponseType
        switch responseTypeParameter {
        case .absent: throw fail(.invalidRequest("response_type is required"))
        case .repeated: throw fail(.invalidRequest("response_type was sent more than once"))
        case .value(let value):
            guard let parsed = ResponseType(rawValue: value) else { throw fail(.unsupportedResponseType("response_type must be code or token")) }
            responseType = parsed
        }
        switch responseType {
        case .code where !client.allowCodeGrant:
            throw fail(.unauthorizedClient("this application may not use the authorization code grant"))
        case .token where !client.allowImplicitGrant || client.isPublic:
            throw fail(.unauthorizedClient("this application may not use the implicit grant"))
        default: break
        }
        var pkce: PKCEChallenge?
        if responseType == .code {
            do {
                pkce = try PKCEChallenge.from(
                    challenge: parameter("code_challenge").value, method: parameter("code_challenge_method").value,
                    allowPlain: client.allowPlainPKCE)
            } catch {
                throw fail(error)
            }
            if pkce == nil && client.requirePKCE { throw fail(.invalidRequest("this application must send a PKCE code_challenge")) }
        }
        var scope = scopes.forAuthorization(ScopePolicy.parse(parameter("scope").value))
        if let allowed = client.allowedScopes {
            scope = scope.filter(allowed.contains)
            if scope.isEmpty { throw fail(.invalidScope("none of the requested scopes is allowed for this application")) }
        }
        return AuthorizationRequest(
            responseType: responseType, clientID: client.clientID, redirectURI: redirectURI, redirectURIGiven: given,
            scope: scope, state: state, pkce: pkce)
    }

    /// The redirect URI to answer at: the one sent, if registered exactly; else the client's
    /// only registered one (RFC 6749 3.1.2.3).
    private static func redirectURI(_ parameter: Parameter, of client: RegisteredClient) throws(Problem) -> (String, given: Bool) {
        switch parameter {
        case .value(let uri):
            guard client.allowsRedirect(uri), !uri.contains("#") else {
                throw .cannotRedirect("The address to return to (redirect_uri) is not registered for \(client.name).")
            }
            return (uri, true)
        case .repeated:
            throw .cannotRedirect("redirect_uri was sent more than once.")
        case .absent:
            let registered = client.validRedirects.filter { $0 != "*" }
            guard registered.count == 1, !client.acceptsAnyRedirect else {
                throw .cannotRedirect("The request does not say where to return to (redirect_uri).")
            }
            return (registered[0], false)
        }
    }

    /// Where the answer to this request goes.
    public var redirect: AuthorizationRedirect {
        AuthorizationRedirect(uri: redirectURI, inFragment: responseType == .token, state: state)
    }
}
