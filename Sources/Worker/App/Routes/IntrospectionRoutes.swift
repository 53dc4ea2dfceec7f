import Foundation
import Hummingbird
import SharedPlatform

/// POST /introspect (RFC 7662): what a live token is. A confidential client may ask about its own tokens;
/// a client with `allow_introspection` (a resource server) about every token. Anything else,
/// and every token that is not live, is exactly `{"active": false}`.
struct IntrospectionRoutes: Sendable {
    let gate: ClientGate
    let ledger: GrantLedger
    let users: UserDirectory
    let issuer: String

    func add(to router: some RouterMethods<WorkerRequestContext>) {
        OAuthResponses.postOnly(router, "/introspect")
        gate.authenticating(router).post("/introspect") { _, context in
            // RFC 7662 2.1 wants real authentication; a public client only names itself.
            guard !context.client.isPublic else { throw OAuthError.invalidClient("introspection needs a client with a secret") }
            let live = try await ledger.lookUp(
                context.parameters.required("token"), refreshFirst: context.parameters["token_type_hint"] == "refresh_token")
            return try await OAuthResponses.json(.ok, describe(live, to: context.client) ?? Self.inactive)
        }
    }

    /// Exactly `{"active":false}` (RFC 7662 2.2): nothing about why.
    private static var inactive: JSONWriter {
        var answer = JSONWriter(capacity: 24)
        answer.field("active", false)
        return answer
    }

    private func describe(_ live: GrantLedger.LiveToken?, to client: RegisteredClient) async throws -> JSONWriter? {
        let clientID: String, userID: String?, username: String?, scope: [String], issuedAt: Date?, expiresAt: Date?, type: String
        switch live {
        case nil:
            return nil
        case .access(let record):
            (clientID, userID, username, scope, issuedAt, expiresAt, type) =
                (record.clientID, record.userID, record.username, record.scope, record.issuedAt, record.expiresAt, "access_token")
        case .refresh(let record, let grant):
            (clientID, userID, username, scope, issuedAt, expiresAt, type) =
                (record.clientID, grant.userID, grant.username, grant.scope, record.issuedAt, record.expiresAt, "refresh_token")
        }
        guard client.allowIntrospection || client.clientID == clientID else { return nil }
        // A token of a client since removed from the clients file is dead, as /api treats it.
        guard gate.clients().client(clientID) != nil else { return nil }
        var answer = JSONWriter()
        answer.field("active", true)
        answer.field("scope", scope.joined(separator: " "))
        answer.field("client_id", clientID)
        answer.field("token_type", type == "access_token" ? "Bearer" : type)
        answer.field("iss", issuer)
        if let issuedAt { answer.field("iat", Int(issuedAt.timeIntervalSince1970)) }
        if let expiresAt { answer.field("exp", Int(expiresAt.timeIntervalSince1970)) }
        if let userID {
            answer.field("sub", userID)
            // Records from before tokens carried the name: ask the user's record.
            var name = username
            if name == nil { name = try await users.user(userID)?.username }
            answer.field("username", name ?? userID)
        }
        return answer
    }
}
