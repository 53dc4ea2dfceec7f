import NIOCore

/// `application/x-www-form-urlencoded` text (a POST body or a URL query) as its name–value
/// pairs, in order, repeats kept: `+` is a space and `%XX` a byte, as HTML forms and Python
/// clients send them. Read byte by byte, because every back-channel request passes through it
/// and the generic Codable decoder was a measurable share of a token request.
struct FormFields: Sendable {
    private(set) var pairs: [(name: String, value: String)] = []

    /// Nil when a `%` escape is broken or a name or value is not UTF-8.
    init?(_ text: some Collection<UInt8>) {
        var name: [UInt8] = []
        var value: [UInt8] = []
        var inValue = false
        var iterator = text.makeIterator()
        func flush() -> Bool {
            defer {
                name.removeAll(keepingCapacity: true)
                value.removeAll(keepingCapacity: true)
                inValue = false
            }
            if name.isEmpty && !inValue { return true }  // "a=1&&b=2": an empty pair is skipped
            guard let decodedName = Self.decode(name), let decodedValue = Self.decode(value) else { return false }
            pairs.append((decodedName, decodedValue))
            return true
        }
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "&"):
                guard flush() else { return nil }
            case UInt8(ascii: "=") where !inValue:
                inValue = true
            default:
                if inValue { value.append(byte) } else { name.append(byte) }
            }
        }
        guard flush() else { return nil }
    }

    /// A page's form as the browser sent it: each name once (a repeated one makes the form
    /// unreadable, so nothing can be smuggled past the first value); nil when it cannot be read.
    static func form(_ body: ByteBuffer) -> FormFields? {
        guard let fields = FormFields(body.readableBytesView), fields.repeatedName == nil else { return nil }
        return fields
    }

    /// The value sent under `name`, if any (the first, where repeats are allowed).
    subscript(_ name: String) -> String? { pairs.first { $0.name == name }?.value }

    /// Every value sent under `name`.
    func all(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }

    /// The first name sent more than once, if any.
    var repeatedName: String? {
        var seen = Set<String>()
        for pair in pairs where !seen.insert(pair.name).inserted { return pair.name }
        return nil
    }

    /// One name or value, `+` and `%XX` decoded; nil when an escape is broken or it is not UTF-8.
    static func decode(_ bytes: [UInt8]) -> String? {
        guard bytes.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else {
            return String(validating: bytes, as: UTF8.self)
        }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "+"):
                decoded.append(UInt8(ascii: " "))
                index += 1
            case UInt8(ascii: "%"):
                guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else {
                    return nil
                }
                decoded.append(high << 4 | low)
                index += 3
            case let byte:
                decoded.append(byte)
                index += 1
            }
        }
        return String(validating: decoded, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
