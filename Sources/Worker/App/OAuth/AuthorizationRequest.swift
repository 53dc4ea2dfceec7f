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

    /// Checks a request, given each parameter's values (several values of one parameter are an
    /// error, RFC 6749 3.1).
    public static func check(
        _ values: (String) -> [String], clients: ClientRegistry, scopes: ScopePolicy
    ) throws(Problem) -> AuthorizationRequest {
        func single(_ name: String) -> String?? {
            let found = values(name)
            if found.count > 1 { return .some(nil) }
            return found.first.flatMap { $0.isEmpty ? nil : $0 }.map { .some($0) } ?? nil
        }
        guard case let clientID?? = single("client_id") else { throw .cannotRedirect("The request does not name an application (client_id).") }
        guard let client = clients.client(clientID) else { throw .cannotRedirect("The application \"\(clientID)\" is not registered here.") }
        let redirectURI: String
        let given: Bool
        switch single("redirect_uri") {
        case .some(let uri?):
            guard client.allowsRedirect(uri), !uri.contains("#") else {
                throw .cannotRedirect("The address to return to (redirect_uri) is not registered for \(client.name).")
            }
            redirectURI = uri
            given = true
        case .some(nil):
            throw .cannotRedirect("redirect_uri was sent more than once.")
        case nil:
            let registered = client.validRedirects.filter { $0 != "*" }
            guard registered.count == 1, !client.acceptsAnyRedirect else {
                throw .cannotRedirect("The request does not say where to return to (redirect_uri).")
            }
            redirectURI = registered[0]
            given = false
        }

        let typeValue = single("response_type")
        let implicit = typeValue == .some("token")
        var state: String?
        func fail(_ error: OAuthError) -> Problem {
            .redirect(error, to: AuthorizationRedirect(uri: redirectURI, inFragment: implicit, state: state))
        }
        switch single("state") {
        case .some(nil): throw fail(.invalidRequest("state was sent more than once"))
        case .some(let value?): state = value
        case nil: break
        }
        for name in ["scope", "code_challenge", "code_challenge_method"] where single(name) == .some(nil) {
            throw fail(.invalidRequest("\(name) was sent more than once"))
        }
        let responseType: ResponseType
        switch typeValue {
        case nil: throw fail(.invalidRequest("response_type is required"))
        case .some(nil): throw fail(.invalidRequest("response_type was sent more than once"))
        case .some(let value?):
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
                    challenge: single("code_challenge") ?? nil, method: single("code_challenge_method") ?? nil,
                    allowPlain: client.allowPlainPKCE)
            } catch {
                throw fail(error)
            }
            if pkce == nil && client.requirePKCE { throw fail(.invalidRequest("this application must send a PKCE code_challenge")) }
        }
        return AuthorizationRequest(
            responseType: responseType, clientID: client.clientID, redirectURI: redirectURI, redirectURIGiven: given,
            scope: scopes.forAuthorization(ScopePolicy.parse(single("scope") ?? nil)), state: state, pkce: pkce)
    }

    /// Where the answer to this request goes.
    public var redirect: AuthorizationRedirect {
        AuthorizationRedirect(uri: redirectURI, inFragment: responseType == .token, state: state)
    }
}
