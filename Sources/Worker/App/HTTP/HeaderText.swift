/// ASCII-only helpers for header values. Header syntax is ASCII (RFC 9110 5.5); Foundation's
/// `trimmingCharacters(in:)` and `lowercased()` go through Unicode tables on every call, and
/// the token endpoint's headers are read on every request.
package enum HeaderText {
    /// `text` without leading and trailing spaces and tabs.
    static func trimmed(_ text: Substring) -> Substring {
        var start = text.utf8.startIndex
        var end = text.utf8.endIndex
        while start < end, isBlank(text.utf8[start]) { start = text.utf8.index(after: start) }
        while end > start, isBlank(text.utf8[text.utf8.index(before: end)]) { end = text.utf8.index(before: end) }
        return text[start..<end]
    }

    /// Whether `text` is `lowercase` (given in lower case) in any ASCII case.
    static func equalsIgnoringCase(_ text: some StringProtocol, _ lowercase: StaticString) -> Bool {
        lowercase.withUTF8Buffer { expected in
            text.utf8.count == expected.count
                && zip(text.utf8, expected).allSatisfy { byte, wanted in
                    (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) == wanted
                }
        }
    }

    /// The media type of a Content-Type value, lowercased, without parameters.
    package static func mediaType(_ contentType: String) -> String {
        // Found as bytes: `split` walks the text character by character, on every token request.
        let end = contentType.utf8.firstIndex(of: UInt8(ascii: ";")) ?? contentType.endIndex
        let type = trimmed(contentType[..<end])
        guard type.utf8.contains(where: isUppercase) else { return String(type) }
        return String(decoding: type.utf8.map { isUppercase($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    private static func isUppercase(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
}
