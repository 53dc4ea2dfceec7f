import Foundation
import Hummingbird
import HTTPTypes
import NIOHTTP1
import SharedPlatform

/// JSON answers of the `/api` functions, in the Node original's `{success, message, error}` shape.
enum APIResponses {
    static func json(_ status: HTTPResponse.Status, _ body: some Encodable) -> Response {
        var response = Response(status: status, body: .init(byteBuffer: .init(bytes: JSONDocument.bytes(body))))
        response.headers[.contentType] = "application/json; charset=utf-8"
        response.headers[.cacheControl] = "no-store"
        return response
    }

    static func failure(_ status: HTTPResponse.Status, message: String, error: String) -> Response {
        json(status, APIAnswer.failed(message: message, error: error))
    }

    /// The site's own body and content type, as it sent them.
    static func relay(_ site: SiteHTTPClient.SiteResponse) -> Response {
        guard site.status < 500 else {
            return failure(.badGateway, message: "the resource server failed (status \(site.status))", error: "bad_gateway")
        }
        var response = Response(status: .init(code: site.status), body: .init(byteBuffer: site.body))
        response.headers[.contentType] = site.headers["Content-Type"].first ?? "application/json; charset=utf-8"
        response.headers[.cacheControl] = "no-store"
        return response
    }
}

/// Reads the site token from a login response: a cookie or a JSON field.
enum SiteTokenExtraction {
    static func cookie(named name: String, in headers: [String]) -> String? {
        for header in headers {
            guard let pair = header.split(separator: ";").first else { continue }
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                return String(parts[1])
            }
        }
        return nil
    }

    /// The string fields of a JSON user object, for display on pages.
    static func profile(from json: [String: Any]) -> [String: String] {
        json.compactMapValues { value in
            if let string = value as? String { return string }
            if let number = value as? NSNumber { return number.stringValue }
            return nil
        }
    }

    /// `application/x-www-form-urlencoded` for a login form.
    static func formBody(_ fields: [(String, String)]) -> String {
        fields.map { "\(PercentEncoding.component($0))=\(PercentEncoding.component($1))" }.joined(separator: "&")
    }
}
