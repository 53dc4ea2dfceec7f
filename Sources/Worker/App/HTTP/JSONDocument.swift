import Foundation

/// The bytes of the JSON the worker answers with off the hot path (discovery, keys, userinfo,
/// the API's answers), from Codable types: keys sorted, so a document is the same bytes every
/// time. The token, introspection and error answers are written by `JSONWriter` instead, for speed.
enum JSONDocument {
    /// `/` left as is in documents full of URLs (RFC 8414, Discovery 1.0, RFC 7517), as
    /// relying parties read them; escaped elsewhere, as the Node original's API answers have it.
    enum Slashes {
        case escaped, unescaped
    }

    static func bytes(_ value: some Encodable, slashes: Slashes = .escaped) -> [UInt8] {
        let encoder = slashes == .escaped ? escaping : notEscaping
        do {
            return Array(try encoder.encode(value))
        } catch {
            // Only non-finite numbers fail to encode, and these documents hold none.
            preconditionFailure("\(type(of: value)) does not encode as JSON: \(error)")
        }
    }

    private static let escaping = encoder([.sortedKeys])
    private static let notEscaping = encoder([.sortedKeys, .withoutEscapingSlashes])

    private static func encoder(_ formatting: JSONEncoder.OutputFormatting) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = formatting
        return encoder
    }
}
