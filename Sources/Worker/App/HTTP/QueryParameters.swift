import Hummingbird

/// A URL query read as `application/x-www-form-urlencoded`, which is how RFC 6749 (appendix B)
/// encodes authorization requests: `+` is a space (Python's urlencode, HTML GET forms), and
/// every value of a name is kept, because a repeated parameter is an error the endpoint must
/// report (3.1). Hummingbird's `queryParameters` keeps `+` as is, and its form decoder cannot
/// tell which name was repeated; hence this small reader.
struct QueryParameters: Sendable {
    private var values: [String: [String]] = [:]

    init(_ request: Request) { self.init(query: request.uri.query ?? "") }

    /// The query text after `?`, as the URI carries it (still percent-encoded).
    init(query: String) {
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]) else { continue }
            values[name, default: []].append(parts.count > 1 ? Self.decode(parts[1]) ?? "" : "")
        }
    }

    func all(_ name: String) -> [String] { values[name] ?? [] }

    /// The value of a parameter sent once; nil when absent or repeated.
    subscript(_ name: String) -> String? {
        let found = all(name)
        return found.count == 1 ? found[0] : nil
    }

    private static func decode(_ text: Substring) -> String? { FormFields.decode(Array(text.utf8)) }
}
