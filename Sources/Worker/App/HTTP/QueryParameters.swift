import Hummingbird

/// A URL query read as `application/x-www-form-urlencoded`, which is how RFC 6749 (appendix B)
/// encodes authorization requests: `+` is a space (Python's urlencode, HTML GET forms), and
/// every value of a name is kept, because a repeated parameter is an error the endpoint must
/// report (3.1). Hummingbird's `queryParameters` keeps `+` as is, and its form decoder cannot
/// tell which name was repeated; hence this small reader.
package struct QueryParameters: Sendable {
    private var values: [String: [String]] = [:]

    init(_ request: Request) { self.init(query: request.uri.query ?? "") }

    /// The query text after `?`, as the URI carries it (still percent-encoded).
    package init(query: String) {
        // Split as bytes, as a form body is: split as text, `&` or `=` followed by a combining
        // mark would be one character with it and not separate anything.
        for pair in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = FormFields.decode(Array(parts[0])) else { continue }
            values[name, default: []].append(parts.count > 1 ? FormFields.decode(Array(parts[1])) ?? "" : "")
        }
    }

    package func all(_ name: String) -> [String] { values[name] ?? [] }

    /// The first parameter whose name or a value is longer than `OAuthLimits.parameterBytes`.
    var oversizedName: String? { values.first { OAuthLimits.isOversized($0.key, $0.value) }?.key }

    /// The value of a parameter sent once; nil when absent or repeated.
    package subscript(_ name: String) -> String? {
        let found = all(name)
        return found.count == 1 ? found[0] : nil
    }
}
