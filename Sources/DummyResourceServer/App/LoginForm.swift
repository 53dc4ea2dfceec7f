import Foundation
import Hummingbird

/// The body of `POST /login`: a browser form (`application/x-www-form-urlencoded`) or JSON.
struct LoginForm: Decodable {
    var username: String?
    var password: String?

    /// Decodes the body by its content type (a form when none is given). A body that does not
    /// decode is the client's fault: 400, or 413 when too large, or 415 for another content type.
    static func decode(from request: Request, context: some RequestContext) async throws -> LoginForm {
        let contentType = request.headers[.contentType]
        let mediaType = contentType.flatMap(MediaType.init(from:))
        do {
            if contentType == nil || mediaType?.isType(.applicationUrlEncoded) == true {
                return try await URLEncodedFormDecoder().decode(LoginForm.self, from: request, context: context)
            }
            if mediaType?.isType(.applicationJson) == true {
                return try await JSONDecoder().decode(LoginForm.self, from: request, context: context)
            }
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw SiteError(.contentTooLarge, "request body too large")
        } catch {
            throw SiteError(.badRequest, "malformed request body")
        }
        throw SiteError(.unsupportedMediaType, "send the login as a form or as JSON")
    }
}
