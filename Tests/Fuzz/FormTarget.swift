import Foundation
import SharedPlatform
@testable import WorkerApp

/// `application/x-www-form-urlencoded` bodies as the back-channel endpoints read them
/// (`FormFields`, `OAuthParameters.fromForm`), and the percent-decoding under them.
enum FormTarget {
    static func run(_ input: [UInt8]) {
        let fields = FormFields(input)
        let parameters = try? OAuthParameters.fromForm(input)

        if let fields {
            invariant(
                (parameters != nil) == (fields.repeatedName == nil),
                "fromForm refuses a readable form exactly when a name repeats (\(fields.repeatedName ?? "none"))")
            if let parameters {
                for (name, value) in fields.pairs {
                    // RFC 6749 3.1: an empty value counts as absent.
                    invariant(parameters[name] == (value.isEmpty ? nil : value), "parameter \(name) reads back as sent")
                }
            }
            // Encoded again, the pairs read back the same, in the same order.
            let encoded = fields.pairs.map { "\(PercentEncoding.component($0.name))=\(PercentEncoding.component($0.value))" }
            let again = FormFields(Array(encoded.joined(separator: "&").utf8))
            invariant(again.map { Self.flat($0) } == Self.flat(fields), "re-encoded form reads back differently")
        } else {
            invariant(parameters == nil, "fromForm read a form FormFields cannot")
        }

        // Any text percent-encodes to something that decodes back to it.
        if let text = String(validating: input, as: UTF8.self) {
            invariant(FormFields.decode(Array(PercentEncoding.component(text).utf8)) == text, "percent-encoding round trip")
            // Decoding agrees with Foundation's (once `+` is a space, which form encoding adds),
            // except that escapes making invalid UTF-8 are refused here, and Foundation on Linux
            // sometimes turns them into U+FFFD instead.
            let foundation = text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            if let decoded = FormFields.decode(input) {
                invariant(decoded == foundation, "FormFields.decode and removingPercentEncoding disagree")
            } else {
                invariant(foundation?.contains("\u{FFFD}") ?? true, "FormFields.decode refused what Foundation decodes")
            }
        }
    }

    private static func flat(_ fields: FormFields) -> [String] { fields.pairs.flatMap { [$0.name, $0.value] } }
}
