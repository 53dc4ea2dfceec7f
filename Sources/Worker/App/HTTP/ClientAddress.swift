import Hummingbird
import HTTPTypes
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Where a request came from, for the access log and for throttling.
enum ClientAddress {
    static let realIP = HTTPField.Name("X-Real-IP")!
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    /// The peer's address; with `auth_server.behind_proxy`, the address the proxy reports:
    /// X-Real-IP, else the last X-Forwarded-For entry (the one the proxy added; earlier ones
    /// are whatever the client sent).
    static func of(_ request: Request, context: WorkerRequestContext, behindProxy: Bool) -> String {
        if behindProxy {
            if let real = request.headers[realIP], !real.isEmpty { return String(HeaderText.trimmed(real[...])) }
            if let forwarded = request.headers[forwardedFor]?.split(separator: ",").last {
                return String(HeaderText.trimmed(forwarded))
            }
        }
        return context.remoteAddress?.ipAddress ?? "-"
    }

    /// What throttling counts an address as: an IPv4 address whole, an IPv6 address by its
    /// /64 (one subscriber or host is usually given a whole /64, and could otherwise take a
    /// fresh address for every guess).
    static func throttlingPrefix(_ address: String) -> String {
        guard address.contains(":"), let parsed = try? SocketAddress(ipAddress: address, port: 0),
            case .v6(let v6) = parsed
        else { return address }
        var raw = v6.address.sin6_addr
        let bytes = withUnsafeBytes(of: &raw) { Array($0.prefix(8)) }
        var groups: [String] = []
        for index in stride(from: 0, to: 8, by: 2) {
            groups.append(String(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]), radix: 16))
        }
        return groups.joined(separator: ":") + "::/64"
    }
}
