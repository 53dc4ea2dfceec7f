import SharedPlatform

/// The parameters of a back-channel request, from an `application/x-www-form-urlencoded` body
/// (RFC 6749) or, because the Node original's documented clients post JSON, an `application/json` one.
/// A parameter may appear once (RFC 6749 3.2); anything unreadable is `invalid_request`.
package struct OAuthParameters: Sendable {
    private let values: [String: String]

    /// Refuses a parameter over `OAuthLimits.parameterBytes` (names included).
    init(_ values: [String: String]) throws(OAuthError) {
        if let name = values.first(where: { OAuthLimits.isOversized($0.key, [$0.value]) })?.key {
            throw .invalidRequest("parameter \(OAuthLimits.shown(name)) is longer than \(OAuthLimits.parameterBytes) bytes")
        }
        self.values = values
    }

    package subscript(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }  // RFC 6749 3.1: empty means absent
        return value
    }

    /// A parameter the request cannot do without.
    func required(_ name: String) throws(OAuthError) -> String {
        guard let value = self[name] else { throw .invalidRequest("\(name) is required") }
        return value
    }

    package static func fromForm(_ body: some Collection<UInt8>) throws(OAuthError) -> OAuthParameters {
        guard let fields = FormFields(body) else { throw .invalidRequest("the form body cannot be read") }
        if let name = fields.repeatedName { throw .invalidRequest("parameter \(name) was sent more than once") }
        return try OAuthParameters(Dictionary(fields.pairs, uniquingKeysWith: { first, _ in first }))
    }

    package static func fromJSON(_ text: String) throws -> OAuthParameters {
        // JSONScanner refuses a repeated name, as a repeated form parameter is refused (RFC 6749
        // 3.2); Foundation's decoder would quietly keep the first.
        guard case .object(let fields) = JSONScanner.parse(Array(text.utf8)) else {
            throw OAuthError.invalidRequest("the JSON body must be an object, each parameter sent once")
        }
        var values: [String: String] = [:]
        for (name, value) in fields {
            switch value {
            case .string(let text): values[name] = text
            case .null: continue
            case .number(let number) where number.rounded() == number && abs(number) < 1e15: values[name] = String(Int64(number))
            default: throw OAuthError.invalidRequest("parameter \(name) must be a string")
            }
        }
        return try OAuthParameters(values)
    }
}
