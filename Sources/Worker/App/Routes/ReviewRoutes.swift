import Foundation
import Hummingbird
import Logging
import SharedPlatform

/// GET and POST /review (docs/clients.md, letting users review access): a signed-in user sees every application they have
/// let in, and takes access back by unticking it. A client links here with its client_id and a
/// registered redirect_uri, where the user returns afterwards.
struct ReviewRoutes: Sendable {
    let sessions: SessionStore
    let transactions: TransactionStore
    let pages: PageRenderer
    let ledger: GrantLedger
    let users: UserDirectory
    let clients: @Sendable () -> ClientRegistry
    let issuer: String

    static let transactionKind = "review"

    /// What the review page listed, to apply the answer to.
    struct Listed: Codable, Sendable {
        /// Checkbox name (the client's internal id, as in the Node original) → client_id.
        let clients: [String: String]
        let redirectURI: String
    }

    func add(to router: some RouterMethods<WorkerRequestContext>) {
        router.get("/review") { request, _ in try await show(request) }
        router.post("/review") { request, context in try await apply(request, context: context) }
    }

    private func show(_ request: Request) async throws -> Response {
        let query = QueryParameters(request)
        let registry = clients()
        guard let clientID = query["client_id"], let client = registry.client(clientID),
            let redirectURI = query["redirect_uri"], client.allowsRedirect(redirectURI), !redirectURI.contains("#")
        else {
            return pages.error(
                .badRequest, heading: "This link is not valid",
                message: "The link must name a registered application (client_id) and one of its registered addresses (redirect_uri).")
        }
        guard let signedIn = try await sessions.signedIn(request, users: users) else {
            return PageRenderer.loginRedirect(publicURL: issuer, returnTo: request.uri.description)
        }
        // One row per application, whatever number of grants it holds.
        var rows: [(id: String, clientID: String, name: String, scope: [String])] = []
        for grant in try await ledger.grants(ofUser: signedIn.user.id) {
            let holder = registry.client(grant.clientID)
            let id = holder?.id ?? grant.clientID
            if let index = rows.firstIndex(where: { $0.id == id }) {
                rows[index].scope += grant.scope.filter { !rows[index].scope.contains($0) }
            } else {
                rows.append((id, grant.clientID, holder?.name ?? grant.clientID, grant.scope))
            }
        }
        let listed = Listed(clients: Dictionary(rows.map { ($0.id, $0.clientID) }, uniquingKeysWith: { first, _ in first }), redirectURI: redirectURI)
        let transaction = try await transactions.begin(Self.transactionKind, listed, session: signedIn.sessionID)
        let values: [String: Any] = [
            "transaction_id": transaction,
            "client": ["name": client.name],
            "grants": rows.map { ["id": $0.id, "name": $0.name, "scope": $0.scope.joined(separator: ", ")] },
            "none": rows.isEmpty,
        ]
        return pages.render("review", title: "Applications with access", values: values, user: signedIn.user, redirectsTo: redirectURI)
    }

    private func apply(_ request: Request, context: WorkerRequestContext) async throws -> Response {
        let form: FormFields, session: Session, listed: Listed
        switch try await PageAnswer<Listed>.read(request, context: context, kind: Self.transactionKind, sessions: sessions, transactions: transactions) {
        case .answered(let answer):
            (form, session, listed) = (answer.form, answer.session, answer.question)
        case .unreadable:
            return pages.unreadableForm()
        case .expired:
            return pages.error(
                .badRequest, heading: "This page has expired",
                message: "This review was already saved, has expired, or belongs to another session. Please open it again.")
        }
        // A ticked box stays; every listed application left unticked loses its access.
        for (box, clientID) in listed.clients.sorted(by: { $0.key < $1.key }) where form[box] == nil {
            try await ledger.revokeGrants(ofUser: session.userID, toClient: clientID, reason: "revoked by the user on the review page")
        }
        return PageRenderer.redirect(.seeOther, to: listed.redirectURI)
    }
}
