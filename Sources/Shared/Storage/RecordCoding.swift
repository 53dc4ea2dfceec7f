import Foundation

/// One JSON encoding for every stored record (tokens, users, grants, sessions, audit lines),
/// with dates in milliseconds.
package enum RecordCoding {
    package static func encode(_ value: some Encodable) throws -> [UInt8] { Array(try encoder.encode(value)) }

    package static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) -> T? {
        try? decoder.decode(type, from: Data(bytes))
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }()
}

extension Date {
    /// This date at the millisecond precision every store keeps, so a record reads back equal.
    package var storagePrecision: Date { Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded() / 1000) }

    /// Milliseconds since 1970, as stores keep dates.
    package var storageMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
}
