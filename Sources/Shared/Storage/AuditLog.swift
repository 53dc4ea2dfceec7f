import Foundation

/// One line of the audit trail: who was granted, exchanged, refreshed or lost what.
package struct AuditRecord: Sendable, Equatable, Codable {
    package var at: Date
    /// What happened, e.g. `grant`, `code_exchange`, `refresh`, `revoke`, `deny`, `refresh_reuse`.
    package var event: String
    package var userID: String?
    package var clientID: String?
    package var scope: String?
    /// A short, non-replayable id of the token or code concerned (never the token itself).
    package var tokenID: String?
    package var detail: String?

    package init(
        at: Date = Date(), event: String, userID: String? = nil, clientID: String? = nil,
        scope: String? = nil, tokenID: String? = nil, detail: String? = nil
    ) {
        self.at = at.storagePrecision
        self.event = event
        self.userID = userID
        self.clientID = clientID
        self.scope = scope
        self.tokenID = tokenID
        self.detail = detail
    }
}

/// The `audit` group: append-only. An append that fails fails the operation it records (the
/// endpoint answers 503 and issues nothing), so the trail never silently misses an event.
package protocol AuditLog: Sendable {
    /// Writes the records in one statement (one round trip) where the backend allows; all or none.
    func append(contentsOf records: [AuditRecord]) async throws
    /// The newest records first, for operators and tests.
    func recent(limit: Int) async throws -> [AuditRecord]
    /// Deletes the records written before `cutoff` (the audit group's `ttl`, its retention);
    /// returns how many went.
    func purge(before cutoff: Date) async throws -> Int
}

extension AuditLog {
    package func append(_ record: AuditRecord) async throws { try await append(contentsOf: [record]) }
}
