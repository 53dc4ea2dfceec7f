import Foundation

/// Percent-encoding for a value put into a URL query, form body or fragment: everything but
/// RFC 3986's unreserved ASCII characters is encoded. (`CharacterSet.alphanumerics` would let
/// non-ASCII letters through unencoded.)
public enum PercentEncoding {
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    public static func component(_ value: some StringProtocol) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}
