import Foundation
import SharedPlatform
import SharedStorage

/// Pages that ask the user a question (consent, review) leave a transaction behind: what the
/// question was about, bound to the session that saw the page. The answer must come from that
/// session and can be given once; the transaction id in the form is also what makes a forged
/// cross-site POST useless, since another site cannot know it.
struct TransactionStore: Sendable {
    let store: any RecordStore
    /// How long a page may stay open before its answer is refused.
    let lifetime = 900

    private struct Envelope: Codable {
        let kind: String
        let session: String
        let payload: Data
    }

    /// Stores `payload` for the session `sessionID`; returns the id the form carries.
    func begin<Payload: Codable>(_ kind: String, _ payload: Payload, session sessionID: String) async throws -> String {
        let id = Base64URL.random(bytes: 24)
        let envelope = Envelope(kind: kind, session: TokenHash.of(sessionID), payload: Data(try RecordCoding.encode(payload)))
        try await store.put(Self.key(id), RecordCoding.encode(envelope), ttl: lifetime)
        return id
    }

    /// The transaction's payload, once, and only for the session that began it.
    func finish<Payload: Codable>(_ kind: String, id: String, session sessionID: String, as type: Payload.Type) async throws -> Payload? {
        guard let bytes = try await store.take(Self.key(id)), let envelope = RecordCoding.decode(Envelope.self, bytes),
            envelope.kind == kind, Data(envelope.session.utf8).constantTimeEquals(Data(TokenHash.of(sessionID).utf8))
        else { return nil }
        return RecordCoding.decode(type, Array(envelope.payload))
    }

    private static func key(_ id: String) -> String { "transaction:\(TokenHash.of(id))" }
}
