import Foundation

/// The clients file (`client_credentials.file`), read and checked as a whole. An existing file
/// of the Node original loads unchanged; problems name the file, the entry and the key.
package struct ClientRegistry: Sendable {
    package let path: String
    private let byClientID: [String: RegisteredClient]
    /// Accepted but unsafe settings an operator should fix ("*" redirect URIs).
    package let warnings: [String]

    package var clients: [RegisteredClient] { byClientID.values.sorted { $0.clientID < $1.clientID } }

    package func client(_ clientID: String) -> RegisteredClient? { byClientID[clientID] }

    /// The algorithms ID tokens are signed with: the default and every one a client asks for.
    /// Each has a signing key.
    package var signingAlgorithms: Set<SigningAlgorithm> {
        Set(byClientID.values.map(\.idTokenSigningAlgorithm)).union([.default])
    }

    package static func load(path: String) throws(ConfigError) -> ClientRegistry {
        let value: JSONValue
        do {
            value = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: path)))
        } catch let error as JSONSyntaxError {
            throw ConfigError([ConfigProblem(file: path, key: nil, message: "is not valid JSON: \(error.description)")])
        } catch {
            throw ConfigError([ConfigProblem(
                file: path, key: nil, message: "cannot be read (client_credentials.file): \(error.localizedDescription)")])
        }
        return try ClientRegistry(path: path, value: value)
    }

    package init(path: String, value: JSONValue) throws(ConfigError) {
        self.path = path
        guard case .array(let entries) = value else {
            throw ConfigError([ConfigProblem(file: path, key: nil, message: "must hold a JSON array of clients")])
        }
        var parser = EntryParser(path: path)
        var clients: [String: RegisteredClient] = [:]
        // The review page revokes by internal id: two clients sharing one would be unticked together.
        var internalIDs: Set<String> = []
        var warnings: [String] = []
        for (index, entry) in entries.enumerated() {
            guard let client = parser.client(entry, index: index) else { continue }
            if clients[client.clientID] != nil {
                parser.fail(index, "client_id", "\"\(client.clientID)\" is registered twice")
                continue
            }
            guard internalIDs.insert(client.id).inserted else {
                parser.fail(index, "id", "\"\(client.id)\" is the id of another client too")
                continue
            }
            let insecure = client.validRedirects.filter(EntryParser.isInsecureRedirect)
            if !insecure.isEmpty {
                warnings.append("\(path): client \"\(client.clientID)\" receives codes and tokens over plain http at \(insecure.joined(separator: ", ")) (allow_insecure_redirects): anyone on the way can read them")
            }
            if client.acceptsAnyRedirect {
                warnings.append("\(path): client \"\(client.clientID)\" accepts any redirect URI (\"*\"): codes and tokens can be sent to any site; list its exact redirect URIs instead")
            }
            clients[client.clientID] = client
        }
        guard parser.problems.isEmpty else { throw ConfigError(parser.problems) }
        self.byClientID = clients
        self.warnings = warnings
    }
}

/// Reads one entry of the clients file, collecting problems.
private struct EntryParser {
    let path: String
    var problems: [ConfigProblem] = []

    mutating func fail(_ index: Int, _ key: String, _ message: String) {
        problems.append(ConfigProblem(file: path, key: ConfigKeyPath(["[\(index)]", key]), message: message))
    }

    mutating func client(_ entry: JSONValue, index: Int) -> RegisteredClient? {
        guard case .object(let fields) = entry else {
            problems.append(ConfigProblem(file: path, key: ConfigKeyPath(["[\(index)]"]), message: "must be an object"))
            return nil
        }
        let before = problems.count
        func string(_ key: String) -> String? {
            switch fields[key] {
            case nil, .null?: return nil
            case .string(let text)?: return text
            case .number(let number)?: return JSONValue.text(ofNumber: number)
            case let other?:
                fail(index, key, "must be a string, not \(other.typeName)")
                return nil
            }
        }
        func flag(_ key: String, default fallback: Bool) -> Bool {
            switch fields[key] {
            case nil, .null?: return fallback
            case .bool(let value)?: return value
            // As in the server's own files: the Node original's tooling writes booleans as strings too.
            case .string("true")?: return true
            case .string("false")?: return false
            case let other?:
                fail(index, key, "must be true or false, not \(other.typeName)")
                return fallback
            }
        }
        func scopes(_ key: String) -> [String]? {
            switch fields[key] {
            case nil, .null?: return nil
            case .string(let text)?: return text.split(separator: " ").map(String.init)
            case .array(let items)?:
                let names = items.compactMap { item -> String? in if case .string(let name) = item { name } else { nil } }
                if names.count != items.count { fail(index, key, "must list scope names as strings") }
                return names
            case let other?:
                fail(index, key, "must be an array of scope names, not \(other.typeName)")
                return nil
            }
        }
        guard let clientID = string("client_id"), !clientID.isEmpty else {
            fail(index, "client_id", "is required")
            return nil
        }
        var secret: ClientSecret?
        if let stored = string("client_secret"), !stored.isEmpty {
            secret = ClientSecret(stored: stored, salt: string("client_salt"))
            if secret == nil {
                fail(index, "client_secret", "must be the Node original's 40-hex SHA-1 (with client_salt) or a value from `oauth2-server hash-secret`")
            }
        }
        var redirects: [String] = []
        switch fields["valid_redirects"] {
        case .array(let items)?:
            for (position, item) in items.enumerated() {
                guard case .string(let uri) = item, Self.isRedirectURI(uri) else {
                    fail(index, "valid_redirects", "item \(position) must be an absolute URI without a fragment, or \"*\"")
                    continue
                }
                redirects.append(uri)
            }
        case nil, .null?:
            break
        case let other?:
            fail(index, "valid_redirects", "must be an array of URIs, not \(other.typeName)")
        }
        // RFC 9700 2.6 / RFC 8252 7.3: codes and tokens travel in the redirect, so over TLS,
        // except to the user's own machine.
        let allowInsecure = flag("allow_insecure_redirects", default: false)
        for (position, uri) in redirects.enumerated() where !allowInsecure && Self.isInsecureRedirect(uri) {
            fail(
                index, "valid_redirects",
                "item \(position) (\(uri)) must use https, or http only to a loopback host (127.0.0.1, [::1], localhost); set allow_insecure_redirects to accept it anyway")
        }
        let isPublic = secret == nil
        var client = RegisteredClient(
            id: string("id") ?? clientID,
            name: string("name") ?? clientID,
            clientID: clientID,
            secret: secret,
            allowCodeGrant: flag("allow_code_grant", default: false),
            allowImplicitGrant: flag("allow_implicit_grant", default: false),
            allowClientCredentialsGrant: flag("allow_client_credentials_grant", default: false),
            allowRefreshTokens: flag("allow_refresh_tokens", default: !isPublic),
            // A public client cannot prove who it is at the token endpoint; PKCE is its proof.
            requirePKCE: isPublic || flag("require_pkce", default: false),
            allowPlainPKCE: flag("allow_plain_pkce", default: false),
            allowedScopes: scopes("allowed_scopes"),
            allowIntrospection: flag("allow_introspection", default: false),
            validRedirects: redirects)
        client.rememberConsent = flag("remember_consent", default: false)
        if let format = string("access_token_format") {
            if let known = RegisteredClient.AccessTokenFormat(rawValue: format) {
                client.accessTokenFormat = known
            } else {
                fail(index, "access_token_format", "must be opaque or jwt, not \"\(format)\"")
            }
        }
        switch fields["post_logout_redirect_uris"] {
        case .array(let items)?:
            for (position, item) in items.enumerated() {
                guard case .string(let uri) = item, uri != "*", Self.isRedirectURI(uri), allowInsecure || !Self.isInsecureRedirect(uri) else {
                    fail(index, "post_logout_redirect_uris", "item \(position) must be an absolute https URI (http only to the loopback) without a fragment")
                    continue
                }
                client.postLogoutRedirects.append(uri)
            }
        case nil, .null?:
            break
        case let other?:
            fail(index, "post_logout_redirect_uris", "must be an array of URIs, not \(other.typeName)")
        }
        switch string("subject_type") {
        case nil, "public"?: break
        case "pairwise"?:
            let hosts = Set(redirects.compactMap { URLComponents(string: $0)?.host?.lowercased() })
            if hosts.count == 1, !client.acceptsAnyRedirect {
                client.pairwiseSector = hosts.first
            } else {
                fail(index, "subject_type", "pairwise needs redirect URIs on one host (the sector its subjects are derived for)")
            }
        case let other?:
            fail(index, "subject_type", "must be public or pairwise, not \"\(other)\"")
        }
        if let name = string("id_token_signed_response_alg") {
            if let algorithm = SigningAlgorithm(rawValue: name) {
                client.idTokenSigningAlgorithm = algorithm
            } else {
                fail(index, "id_token_signed_response_alg", "must be one of \(SigningAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(name)\"")
            }
        }
        if (client.allowCodeGrant || client.allowImplicitGrant) && redirects.isEmpty {
            fail(index, "valid_redirects", "must list at least one redirect URI for the code or implicit grant")
        }
        return problems.count == before ? client : nil
    }

    /// Plain http to a host other than this machine's loopback: codes and tokens readable on the way.
    static func isInsecureRedirect(_ uri: String) -> Bool {
        guard let components = URLComponents(string: uri), components.scheme?.lowercased() == "http" else { return false }
        let host = (components.host ?? "").lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let loopback = host == "localhost" || host == "::1" || host.hasPrefix("127.")
        return !loopback
    }

    /// RFC 6749 3.1.2: absolute, no fragment. Custom schemes (native apps) are allowed.
    static func isRedirectURI(_ uri: String) -> Bool {
        if uri == "*" { return true }
        guard !uri.contains("#"), let components = URLComponents(string: uri), let scheme = components.scheme, !scheme.isEmpty
        else { return false }
        if scheme == "http" || scheme == "https" { return !(components.host ?? "").isEmpty }
        return true
    }
}
