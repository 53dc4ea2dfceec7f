import Foundation
import SharedPlatform

/// The supervisor's end of one worker's control socket pair: non-blocking, read from the main loop.
struct ControlSocket: WorkerChannel {
    private(set) var descriptor: Int32
    private var buffer = LineBuffer()

    /// A connected pair: this end for the supervisor, and the descriptor to hand the worker.
    static func pair() throws -> (ControlSocket, workerEnd: Int32) {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SupervisorError.systemCall("socketpair")
        }
        // Keep both ends above the numbers the worker receives them at.
        let ours = fcntl(fds[0], F_DUPFD_CLOEXEC, ListeningSocket.minimumDescriptor)
        let theirs = fcntl(fds[1], F_DUPFD_CLOEXEC, ListeningSocket.minimumDescriptor)
        close(fds[0])
        close(fds[1])
        guard ours >= 0, theirs >= 0 else { throw SupervisorError.systemCall("fcntl(F_DUPFD_CLOEXEC)") }
        _ = fcntl(ours, F_SETFL, fcntl(ours, F_GETFL) | O_NONBLOCK)
        return (ControlSocket(descriptor: ours), theirs)
    }

    var isOpen: Bool { descriptor >= 0 }

    /// Sends one message; false when the worker's end is gone or not reading.
    @discardableResult
    func send(_ message: ControlMessage) -> Bool {
        guard isOpen else { return false }
        let data = message.encodedLine()
        return data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.send(descriptor, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return false }
                offset += written
            }
            return true
        }
    }

    /// Messages that have arrived; `closed` once the worker's end is gone (the descriptor is then closed).
    mutating func receive() -> (messages: [ControlMessage], closed: Bool) {
        var messages: [ControlMessage] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while isOpen {
            let count = read(descriptor, &chunk, chunk.count)
            if count > 0 {
                guard let lines = try? buffer.append(chunk[..<count]) else {
                    shutDown()
                    return (messages, true)
                }
                messages += lines.compactMap { try? ControlMessage(line: $0) }
            } else if count < 0, errno == EINTR {
                continue
            } else if count < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                return (messages, false)
            } else {
                shutDown()
                return (messages, true)
            }
        }
        return (messages, true)
    }

    mutating func shutDown() {
        guard isOpen else { return }
        close(descriptor)
        descriptor = -1
    }
}
