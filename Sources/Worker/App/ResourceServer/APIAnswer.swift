/// The body of the `/api` functions' own answers, in the Node original's
/// `{success, message, error}` shape: `{"success": 1}` for a success, all three members for a failure.
struct APIAnswer: Encodable {
    let success: Int
    let message: String?
    let error: String?

    static let succeeded = APIAnswer(success: 1, message: nil, error: nil)

    static func failed(message: String, error: String) -> APIAnswer {
        APIAnswer(success: 0, message: message, error: error)
    }
}
