/// Percent-encoding for a value put into a URL query, form body or fragment: everything but
/// RFC 3986's unreserved ASCII characters is encoded, byte by byte of the UTF-8. (Foundation's
/// `CharacterSet.alphanumerics` would let non-ASCII letters through unencoded; this runs on
/// every call to the site's API, so it is written over bytes.)
package enum PercentEncoding {
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    package static func component(_ value: some StringProtocol) -> String {
        var encoded: [UInt8] = []
        encoded.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.append(byte)
            default:
                encoded.append(UInt8(ascii: "%"))
                encoded.append(hexDigits[Int(byte >> 4)])
                encoded.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }
}
