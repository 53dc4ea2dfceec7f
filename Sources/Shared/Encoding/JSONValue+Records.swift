import Foundation

/// Reading the fields of a stored record from what `JSONScanner` parsed.
extension JSONValue {
    package var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    package var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    package var objectFields: [String: JSONValue]? {
        if case .object(let fields) = self { return fields }
        return nil
    }

    package var stringArray: [String]? {
        guard case .array(let elements) = self else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(elements.count)
        for element in elements {
            guard let text = element.stringValue else { return nil }
            strings.append(text)
        }
        return strings
    }

    /// A date as `RecordCoding` stores it: milliseconds since 1970.
    package var storedDate: Date? {
        if case .number(let milliseconds) = self { return Date(timeIntervalSince1970: milliseconds / 1000) }
        return nil
    }
}
