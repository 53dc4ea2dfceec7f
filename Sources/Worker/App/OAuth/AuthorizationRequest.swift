import Foundation
import SharedPlatform

/// A checked request to the authorization endpoint (RFC 6749 4.1.1 and 4.2.1, RFC 7636 4.3):
/// what the consent page shows and what the user's answer applies to.
package struct AuthorizationRequest: Codable, Sendable, Equatable {
    package enum ResponseType: String, Codable, Sendable {
        case code
        /// The implicit grant: the token in the redirect's fragment.
        case token
        /// OpenID Connect implicit flow (Core 3.2): an ID token alone, or with an access token.
        case idToken = "id_token"
        case idTokenToken = "id_token token"

        /// The response type a request names: OpenID Connect's are sets of words in any order.
        init?(parameter: String) {
            let words = parameter.split(separator: " ").map(String.init)
            if words.count == 2, Set(words) == ["id_token", "token"] { self = .idTokenToken } else { self.init(rawValue: parameter) }
        }

        /// Every type but `code` answers in the redirect's fragment (RFC 6749 4.2.2, OpenID Connect Core 3.2.2.5).
        var answersInFragment: Bool { self != .code }
    }

    package let responseType: ResponseType
    package let clientID: String
    package let redirectURI: String
    /// False when the client left redirect_uri out and its only registered one is used.
    package let redirectURIGiven: Bool
    package let scope: [String]
    package let state: String?
    package let pkce: PKCEChallenge?
    /// OpenID Connect: echoed in the ID token, binding it to the client's session (Core 3.1.2.1).
    package var nonce: String? = nil
    /// OpenID Connect `prompt` (Core 3.1.2.1): `none` (answer without any page), `login` (ask
    /// for the password again), `consent` (ask even if remembered).
    package var prompt: Set<String> = []
    /// OpenID Connect `max_age`: seconds since the user last entered their password beyond
    /// which they must enter it again.
    package var maxAge: Int? = nil
    /// OpenID Connect `login_hint`: the username to pre-fill on the sign-in page.
    package var loginHint: String? = nil

    /// Why a request cannot be answered the normal way.
    package enum Problem: Error, Equatable {
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
    package static func check(
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
        let redirect = AuthorizationRedirect(
            uri: redirectURI, inFragment: responseTypeParameter.value.flatMap(ResponseType.init(parameter:))?.answersInFragment ?? false,
            state: state)
        func fail(_ error: OAuthError) -> Problem { .redirect(error, to: redirect) }

        for name in ["state", "scope", "code_challenge", "code_challenge_method", "nonce", "prompt", "max_age", "login_hint"]
        where parameter(name) == .repeated {
            throw fail(.invalidRequest("\(name) was sent more than once"))
        }
        let responseType: ResponseType
        switch responseTypeParameter {
        case .absent: throw fail(.invalidRequest("response_type is required"))
        case .repeated: throw fail(.invalidRequest("response_type was sent more than once"))
        case .value(let value):
            guard let parsed = ResponseType(parameter: value) else {
                throw fail(.unsupportedResponseType("response_type must be code, token, id_token or id_token token"))
            }
            responseType = parsed
        }
        if responseType == .code, !client.allowCodeGrant {
            throw fail(.unauthorizedClient("this application may not use the authorization code grant"))
        }
        // The implicit grant's tokens (and ID tokens) travel in the URL: only for clients allowed it.
        if responseType != .code, !client.allowImplicitGrant || client.isPublic {
            throw fail(.unauthorizedClient("this application may not use the implicit grant"))
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
        if responseType == .idToken || responseType == .idTokenToken {
            // Core 3.2.2.1: an ID token in a URL is bound to the client's session only by its nonce.
            guard scope.contains(OpenIDScopes.openID) else { throw fail(.invalidRequest("response_type \(responseType.rawValue) needs the openid scope")) }
            guard parameter("nonce").value != nil else { throw fail(.invalidRequest("nonce is required with response_type \(responseType.rawValue)")) }
        }
        let prompt = Set(ScopePolicy.parse(parameter("prompt").value))
        if prompt.contains("none") && prompt.count > 1 { throw fail(.invalidRequest("prompt=none cannot be combined with other values")) }
        var maxAge: Int?
        if let text = parameter("max_age").value {
            guard let seconds = Int(text), seconds >= 0 else { throw fail(.invalidRequest("max_age must be a whole number of seconds")) }
            maxAge = seconds
        }
        return AuthorizationRequest(
            responseType: responseType, clientID: client.clientID, redirectURI: redirectURI, redirectURIGiven: given,
            scope: scope, state: state, pkce: pkce, nonce: parameter("nonce").value, prompt: prompt, maxAge: maxAge,
            loginHint: parameter("login_hint").value)
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

    /// Whether the user must enter their password now: not signed in, `prompt=login`, or a
    /// sign-in older than `max_age` (OpenID Connect Core 3.1.2.1).
    package func needsSignIn(lastSignIn: Date?, now: Date = Date()) -> Bool {
        guard let lastSignIn else { return true }
        if prompt.contains("login") { return true }
        if let maxAge { return Int(now.timeIntervalSince1970) - Int(lastSignIn.timeIntervalSince1970) > maxAge }
        return false
    }

    /// The authorization URL to come back to after signing in: without `prompt=login` and
    /// `max_age`, which the sign-in just satisfied (kept, they would ask again and again).
    package static func afterSignIn(_ uri: String) -> String {
        guard var components = URLComponents(string: uri), let items = components.percentEncodedQueryItems else { return uri }
        components.percentEncodedQueryItems = items.compactMap { item in
            switch item.name {
            case "max_age": return nil
            case "prompt":
                let kept = (item.value?.removingPercentEncoding ?? "").split(separator: " ").filter { $0 != "login" }
                return kept.isEmpty ? nil : URLQueryItem(name: "prompt", value: PercentEncoding.component(kept.joined(separator: " ")))
            default: return item
            }
        }
        return components.string ?? uri
    }

    /// Where the answer to this request goes.
    package var redirect: AuthorizationRedirect {
        AuthorizationRedirect(uri: redirectURI, inFragment: responseType.answersInFragment, state: state)
    }
}
