import SharedPlatform

/// Credentials a client presented at a back-channel endpoint, whichever way it sent them.
package struct PresentedClientCredentials: Sendable {
    package let clientID: String
    package let secret: String?

    package init(clientID: String, secret: String?) {
        self.clientID = clientID
        self.secret = secret
    }
}

/// Who is calling the token, revocation or introspection endpoint (RFC 6749 2.3). A confidential
/// client proves itself with its secret; a public client names itself and proves nothing here
/// (PKCE does that for its codes). Any failure is the same `invalid_client`, so the answer does
/// not tell which client ids exist.
package struct ClientAuthenticator: Sendable {
    package let clients: ClientRegistry

    package init(clients: ClientRegistry) { self.clients = clients }

    package func authenticate(_ presented: PresentedClientCredentials?) throws(OAuthError) -> RegisteredClient {
        guard let presented else { throw .invalidClient("client authentication is required") }
        guard let client = clients.client(presented.clientID) else { throw .invalidClient("client authentication failed") }
        switch (client.secret, presented.secret) {
        case (let stored?, let secret?):
            guard stored.verify(secret, clientID: client.clientID) else { throw .invalidClient("client authentication failed") }
        case (.some, nil):
            throw .invalidClient("client authentication failed")
        case (nil, .some):
            // A secret for a client registered without one is a misconfigured client, not a proof.
            throw .invalidClient("this client is public and has no secret")
        case (nil, nil):
            break
        }
        return client
    }
}
