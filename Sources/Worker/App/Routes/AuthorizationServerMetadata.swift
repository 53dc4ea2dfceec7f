/// The RFC 8414 (2) document at /.well-known/oauth-authorization-server: what standard client
/// libraries read to find the endpoints and what this server supports.
struct AuthorizationServerMetadata: Encodable, Sendable {
    let issuer: String
    let authorizationEndpoint: String
    let tokenEndpoint: String
    let revocationEndpoint: String
    let introspectionEndpoint: String
    let jwksURI: String
    let responseTypesSupported = ["code", "token", "id_token", "id_token token"]
    let responseModesSupported = ["query", "fragment"]
    let grantTypesSupported = ["authorization_code", "implicit", "refresh_token", "client_credentials"]
    let scopesSupported: [String]
    let tokenEndpointAuthMethodsSupported = ["client_secret_basic", "client_secret_post", "none"]
    let revocationEndpointAuthMethodsSupported = ["client_secret_basic", "client_secret_post", "none"]
    // RFC 7662 2.1 wants real authentication: a public client cannot introspect.
    let introspectionEndpointAuthMethodsSupported = ["client_secret_basic", "client_secret_post"]
    let codeChallengeMethodsSupported = ["S256", "plain"]
    /// RFC 9207: every authorization response names the issuer.
    let authorizationResponseIssParameterSupported = true

    /// The OpenID scopes first, then the site's.
    init(issuer: String, scopes: [String]) {
        self.issuer = issuer
        authorizationEndpoint = "\(issuer)/authorize"
        tokenEndpoint = "\(issuer)/token"
        revocationEndpoint = "\(issuer)/revoke"
        introspectionEndpoint = "\(issuer)/introspect"
        jwksURI = "\(issuer)/jwks"
        scopesSupported = OpenIDScopes.all + scopes.filter { !OpenIDScopes.all.contains($0) }
    }

    enum CodingKeys: String, CodingKey {
        case issuer
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case revocationEndpoint = "revocation_endpoint"
        case introspectionEndpoint = "introspection_endpoint"
        case jwksURI = "jwks_uri"
        case responseTypesSupported = "response_types_supported"
        case responseModesSupported = "response_modes_supported"
        case grantTypesSupported = "grant_types_supported"
        case scopesSupported = "scopes_supported"
        case tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
        case revocationEndpointAuthMethodsSupported = "revocation_endpoint_auth_methods_supported"
        case introspectionEndpointAuthMethodsSupported = "introspection_endpoint_auth_methods_supported"
        case codeChallengeMethodsSupported = "code_challenge_methods_supported"
        case authorizationResponseIssParameterSupported = "authorization_response_iss_parameter_supported"
    }
}
