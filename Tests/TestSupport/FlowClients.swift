/// The clients every OAuth test server registers: the Node original's test client, a second
/// confidential client, a code-only client, a public client, and a service using client credentials.
package enum FlowClients {
    package static let redirect = "http://localhost:8080/"
    package static let otherRedirect = "http://localhost:8080/other"
    package static let publicRedirect = "http://localhost:8080/spa"

    package static let file = """
        [{"id": "2", "name": "Automated tests", "client_id": "test",
          "client_secret": "2aa0c27d4a452d6bbb87e1b175f8e67ce75c000f", "client_salt": "$4$3SByu9lP$nEyg3Ezxj+5BDsi8uAdwtTeU4Is$",
          "allow_code_grant": true, "allow_implicit_grant": true, "valid_redirects": ["http://localhost:8080/"]},
         {"id": "3", "name": "Other <b>App</b>", "client_id": "other",
          "client_secret": "409d533498f9565d5d60b9d332e336af9cba515c", "client_salt": "salt-o",
          "allow_code_grant": true, "allow_implicit_grant": true, "valid_redirects": ["http://localhost:8080/other"]},
         {"id": "4", "name": "Code only", "client_id": "codeonly",
          "client_secret": "6b67bf37f48a1fd4321d5e96e0f8a278fbbd8f3f", "client_salt": "salt-c", "require_pkce": true,
          "allowed_scopes": ["read-only"],
          "allow_code_grant": true, "allow_implicit_grant": false, "allow_refresh_tokens": false,
          "valid_redirects": ["http://localhost:8080/codeonly"]},
         {"id": "5", "name": "Single page app", "client_id": "spa", "allow_code_grant": true, "allow_implicit_grant": true,
          "allow_refresh_tokens": true, "valid_redirects": ["http://localhost:8080/spa"]},
         {"id": "6", "name": "Service", "client_id": "service",
          "client_secret": "7c7e7ec257021f896ec33bd72d6af6d1fbc9d4aa", "client_salt": "salt-s",
          "allow_client_credentials_grant": true, "allowed_scopes": ["read-only"], "allow_introspection": true}]
        """

    /// Client id → secret, for the confidential ones.
    package static let secrets = ["test": "hunter2", "other": "other-secret", "codeonly": "codeonly-secret", "service": "service-secret"]
}
