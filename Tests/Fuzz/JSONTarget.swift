import Foundation
import SharedPlatform
@testable import WorkerApp

/// JSON as the server reads it: stored records (`JSONScanner` and the record types on it) and
/// token request bodies sent as JSON (`OAuthParameters.fromJSON`, on Foundation's decoder).
enum JSONTarget {
    /// Up to this size no valid document nests deeper than the scanner's 64 levels (each level
    /// takes two bytes), so its limit cannot make it disagree with Foundation's.
    static let comparedSize = 128

    static func run(_ input: [UInt8]) {
        let scanned = JSONScanner.parse(input)

        if input.count <= comparedSize, isPlainUTF8(input), !hasFoundationExtension(input) {
            // Three readers of one grammar (RFC 8259) agree on what is JSON and what it says.
            let foundation = try? JSONSerialization.jsonObject(with: Data(input), options: .fragmentsAllowed)
            invariant((scanned != nil) == (foundation != nil), "JSONScanner says \(scanned == nil ? "invalid" : "valid"), JSONSerialization the opposite")
            // Foundation's JSONDecoder refuses some valid numbers (`0e4`, though it reads `0E+2`), so
            // only what it reads is compared.
            if let decoded = try? JSONValue.parse(Data(input)) {
                invariant(scanned == decoded, "JSONScanner read \(String(describing: scanned)), JSONValue.parse \(decoded)")
            }
        }

        if let scanned {
            // Written out again, a value reads back the same.
            invariant(JSONScanner.parse(Array(scanned.serialized())) == scanned, "\(scanned) does not survive serialization")
        }

        // Every stored record that reads writes a record that reads back to the same bytes.
        stable(AccessTokenRecord.decode, { $0.encoded() }, input)
        stable(SiteUser.decode, { $0.encoded() }, input)
        stable(Grant.decode, { $0.encoded() }, input)
        stable(CodeRecord.decode, { $0.encoded() }, input)
        stable(GrantLedger.RefreshRecord.decode, { $0.encoded() }, input)
        stable(RotationRecord.decode, { $0.encoded() }, input)

        // A token request posted as JSON: any outcome but a crash; string parameters kept as sent.
        if let text = String(validating: input, as: UTF8.self), let parameters = try? OAuthParameters.fromJSON(text),
            case .object(let fields)? = scanned
        {
            for (name, value) in fields {
                if case .string(let string) = value {
                    invariant(parameters[name] == (string.isEmpty ? nil : string), "parameter \(name) reads back as sent")
                }
            }
        }
    }

    /// Foundation also reads UTF-16 and UTF-32, which it detects by NUL bytes at the start, and
    /// skips a byte order mark; the server's JSON is UTF-8 without one (RFC 8259 8.1).
    private static func isPlainUTF8(_ input: [UInt8]) -> Bool {
        !input.prefix(2).contains(0) && !input.starts(with: [0xEF, 0xBB, 0xBF]) && !input.starts(with: [0xFE, 0xFF])
            && !input.starts(with: [0xFF, 0xFE])
    }

    /// Whether the text has what Foundation reads although RFC 8259 does not define it: a comma
    /// before a closing bracket, or a name repeated in one object (Foundation's two readers even
    /// disagree on which value wins). A rough lexer that assumes nothing about the rest.
    static func hasFoundationExtension(_ input: [UInt8]) -> Bool {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ",")
        var names: [Set<String>?] = []  // for each open bracket: the object's names so far, nil for an array
        var previous: UInt8 = 0  // the last byte outside strings and whitespace
        var index = 0
        while index < input.count {
            let byte = input[index]
            switch byte {
            case quote:
                var end = index + 1
                while end < input.count, input[end] != quote { end += input[end] == UInt8(ascii: "\\") ? 2 : 1 }
                guard end < input.count else { return false }
                if case .some(.some(var seen)) = names.last, previous == UInt8(ascii: "{") || previous == comma {
                    let name = JSONScanner.parse(Array(input[index...end]))?.stringValue ?? String(decoding: input[index...end], as: UTF8.self)
                    guard seen.insert(name).inserted else { return true }
                    names[names.count - 1] = seen
                }
                previous = quote
                index = end + 1
                continue
            case UInt8(ascii: "{"): names.append([])
            case UInt8(ascii: "["): names.append(nil)
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if previous == comma { return true }
                _ = names.popLast()
            case 0x20, 0x09, 0x0A, 0x0D:
                index += 1
                continue
            default: break
            }
            previous = byte
            index += 1
        }
        return false
    }

    private static func stable<Record>(_ decode: ([UInt8]) -> Record?, _ encode: (Record) -> [UInt8], _ input: [UInt8]) {
        guard let record = decode(input) else { return }
        let written = encode(record)
        guard let again = decode(written) else {
            invariant(false, "\(Record.self) wrote \(String(decoding: written, as: UTF8.self)), which it cannot read")
            return
        }
        invariant(encode(again) == written, "\(Record.self) does not write the same bytes twice")
    }
}
