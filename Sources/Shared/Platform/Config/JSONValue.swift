import Foundation

/// A parsed JSON document, kept as plain values so configuration layers can be merged
/// before anything is interpreted.
package enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The value at `path` (object keys only), or nil where any step is missing.
    package subscript(path: ConfigKeyPath) -> JSONValue? {
        var current = self
        for key in path.keys {
            guard case .object(let members) = current, let next = members[key] else { return nil }
            current = next
        }
        return current
    }

    /// Deep merge as the Node original's config loader does it: objects merge key by key,
    /// everything else (arrays included) is replaced by the later layer.
    package func merged(with later: JSONValue) -> JSONValue {
        guard case .object(let base) = self, case .object(let overrides) = later else { return later }
        var result = base
        for (key, value) in overrides {
            result[key] = result[key].map { $0.merged(with: value) } ?? value
        }
        return .object(result)
    }

    /// A number read where text is expected, as the Node original writes `"port": 5432` or `"port": "5432"`:
    /// a whole number without a fraction, any other as Swift writes it (`1e+300`).
    package static func text(ofNumber number: Double) -> String {
        Int64(exactly: number).map(String.init) ?? String(number)
    }

    /// A short name for the JSON type, for error messages.
    package var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

extension JSONValue: Codable {
    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value.rounded() == value, abs(value) < 1e15 {
                try container.encode(Int64(value))
            } else {
                try container.encode(value)
            }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue {
    /// Parses JSON text; the error says where the text is broken.
    package static func parse(_ data: Data) throws -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            throw JSONSyntaxError(description: underlying ?? context.debugDescription)
        }
    }

    /// Compact JSON text with sorted keys, so equal values give equal text.
    package func serialized() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain JSON values cannot fail.
        return (try? encoder.encode(self)) ?? Data("null".utf8)
    }
}

/// JSON text that does not parse.
package struct JSONSyntaxError: Error, CustomStringConvertible {
    package let description: String
}
