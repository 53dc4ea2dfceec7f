/// The JSON beside a Bearer challenge (RFC 6750 3), for readers of the body: `error` and
/// `error_description`, or an empty object for a request that carried no token (3.1: no error code).
struct BearerErrorBody: Encodable {
    let error: String?
    let errorDescription: String?

    init(_ error: String?, description: String) {
        self.error = error
        errorDescription = error == nil ? nil : description
    }

    enum CodingKeys: String, CodingKey {
        case error
        case errorDescription = "error_description"
    }
}
