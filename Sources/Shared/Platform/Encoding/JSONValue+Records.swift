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

    /// A date as `RecordCoding` stores it: milliseconds since 1970, from year 1 to 9999 (what a
    /// record can hold and be written again: `storageMilliseconds` of a wilder one traps).
    package var storedDate: Date? {
        guard case .number(let milliseconds) = self, abs(milliseconds) <= Self.latestStoredMilliseconds else { return nil }
        return Date(timeIntervalSince1970: milliseconds / 1000)
    }

    /// 9999-12-31T23:59:59.999Z.
    private static let latestStoredMilliseconds = 253_402_300_799_999.0
}
