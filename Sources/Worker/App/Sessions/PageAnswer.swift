import Hummingbird

/// A form that answers a page's question (the consent page, the review page): its fields, the
/// session that posted it, and the question, taken from its transaction once. Both pages read
/// their answer this way; they differ in what they do with it and how they say it expired.
struct PageAnswer<Question: Codable & Sendable>: Sendable {
    let form: FormFields
    let sessionID: String
    let session: Session
    let question: Question

    enum Reading: Sendable {
        case answered(PageAnswer)
        /// Not a form, or one without its transaction id.
        case unreadable
        /// Already answered, expired, or posted by another session than the one that saw the page.
        case expired
    }

    static func read(
        _ request: Request, context: WorkerRequestContext, kind: String, sessions: SessionStore, transactions: TransactionStore
    ) async throws -> Reading {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard let form = FormFields.form(body), let transactionID = form["transaction_id"] else { return .unreadable }
        guard let (sessionID, session) = try await sessions.load(request),
            let question = try await transactions.finish(kind, id: transactionID, session: sessionID, as: Question.self)
        else { return .expired }
        return .answered(PageAnswer(form: form, sessionID: sessionID, session: session, question: question))
    }
}

extension PageRenderer {
    /// The answer to a page whose form could not be read.
    func unreadableForm() -> Response {
        error(.badRequest, heading: "Something went wrong", message: "The form could not be read.")
    }
}
