import Foundation

/// A datagram socket standing in for systemd's NOTIFY_SOCKET, collecting what the server sends.
final class NotifySocket: @unchecked Sendable {
    let path: String
    private let descriptor: Int32
    private var received: [String] = []

    init() throws {
        path = TestEnvironment.temporaryDirectory("oauth2-notify") + "/notify.sock"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path.utf8)
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { throw TestFailure("cannot bind \(path)") }
    }

    /// Every datagram received so far.
    func messages() -> [String] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            received.append(String(decoding: buffer[..<count], as: UTF8.self))
        }
        return received
    }

    deinit {
        close(descriptor)
        unlink(path)
    }
}
