import Foundation

/// Lowercase hexadecimal, as the Node original's SHA-1 client secrets and the stored token hashes use it.
package enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Reads the bytes in place and writes the text straight into the string's storage: every
    /// token lookup hashes its token and encodes the digest, and a digest's generic iterator
    /// copies it into an array first (with an array grown digit by digit, this was 3.6 % of an
    /// introspection's CPU).
    package static func encode(_ bytes: some ContiguousBytes) -> String {
        bytes.withUnsafeBytes { bytes in
            digits.withUnsafeBufferPointer { digits in
                String(unsafeUninitializedCapacity: bytes.count * 2) { text in
                    for (index, byte) in bytes.enumerated() {
                        text[2 * index] = digits[Int(byte >> 4)]
                        text[2 * index + 1] = digits[Int(byte & 0x0f)]
                    }
                    return bytes.count * 2
                }
            }
        }
    }

    /// Nil for an odd length or a character that is not a hex digit.
    package static func decode(_ text: some StringProtocol) -> [UInt8]? {
        guard text.count.isMultiple(of: 2), text.allSatisfy(\.isHexDigit) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 2)
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
