import SharedPlatform

/// The OpenID Connect Discovery 1.0 (3) document at /.well-known/openid-configuration: the
/// RFC 8414 members, plus what Discovery requires and what this provider supports, in one object.
struct OpenIDProviderMetadata: Encodable, Sendable {
    let oauth: AuthorizationServerMetadata
    let openID: Members

    struct Members: Encodable, Sendable {
        let userinfoEndpoint: String
        let endSessionEndpoint: String
        let subjectTypesSupported = ["public", "pairwise"]
        /// Every algorithm a client may name in id_token_signed_response_alg.
        let idTokenSigningAlgValuesSupported = SigningAlgorithm.allCases.map(\.rawValue)
        let claimsSupported = ["iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid"] + UserClaims.supported
        let claimsParameterSupported = false
        let requestParameterSupported = false
        let requestURIParameterSupported = false

        enum CodingKeys: String, CodingKey {
            case userinfoEndpoint = "userinfo_endpoint"
            case endSessionEndpoint = "end_session_endpoint"
            case subjectTypesSupported = "subject_types_supported"
            case idTokenSigningAlgValuesSupported = "id_token_signing_alg_values_supported"
            case claimsSupported = "claims_supported"
            case claimsParameterSupported = "claims_parameter_supported"
            case requestParameterSupported = "request_parameter_supported"
            case requestURIParameterSupported = "request_uri_parameter_supported"
        }
    }

    init(extending oauth: AuthorizationServerMetadata) {
        self.oauth = oauth
        openID = Members(userinfoEndpoint: "\(oauth.issuer)/userinfo", endSessionEndpoint: "\(oauth.issuer)/end_session")
    }

    /// Both sets of members into the same object (an encoder hands the same keyed container to both).
    func encode(to encoder: any Encoder) throws {
        try oauth.encode(to: encoder)
        try openID.encode(to: encoder)
    }
}
