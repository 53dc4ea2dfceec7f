import Foundation
import Glibc
import TestSupport

/// A client-credentials token request sent with the end of its body held back: the server that
/// took it waits for the rest, so the request stays in flight there until `finish()`. Plain
/// blocking socket calls, run on a Dispatch thread so they never hold up the test's tasks.
final class HeldRequest: @unchecked Sendable {
    private static let body = Array("grant_type=client_credentials".utf8)
    /// Bytes of the body sent only by `finish()`.
    private static let heldBack = 11
    private let descriptor: Int32

    init(host: String, port: Int, credentials: String) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ServerProcessFailure("socket() failed: errno \(errno)") }
        // Longer than HAProxy's `timeout server`, so its 504 arrives before this gives up.
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw ServerProcessFailure("connect to \(host):\(port) failed: errno \(errno)")
        }
        let head = "POST /token HTTP/1.1\r\nHost: \(host)\r\nAuthorization: Basic \(credentials)\r\n"
            + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(Self.body.count)\r\nConnection: close\r\n\r\n"
        guard write(Array(head.utf8) + Self.body.dropLast(Self.heldBack)) else {
            close(descriptor)
            throw ServerProcessFailure("sending a held request failed: errno \(errno)")
        }
    }

    /// Sends the rest of the body and waits for the answer: its status, or 0 if none came.
    func finish() async -> Int {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.finishNow()) }
        }
    }

    private func finishNow() -> Int {
        defer { close(descriptor) }
        guard write(Array(Self.body.suffix(Self.heldBack))) else { return 0 }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while !received.contains(UInt8(ascii: "\n")) {
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else { break }
            received += buffer[0..<count]
        }
        // "HTTP/1.1 200 OK": the status is the second word of the first line.
        let statusLine = String(decoding: received.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        return statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    }

    private func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }
}
