import Glibc
import SharedPlatform

/// The one listening socket every worker accepts on: bound here, or handed over by systemd.
package struct ListeningSocket {
    /// Kept above the descriptors workers use (3 and 4), so dup2 into place always clears close-on-exec.
    static let minimumDescriptor: Int32 = 10

    package let descriptor: Int32
    package let address: String
    package let fromSystemd: Bool

    /// systemd's socket when it activated us, otherwise a new socket bound to `host:port`.
    static func open(host: String, port: Int, backlog: Int) throws -> ListeningSocket {
        if let inherited = SystemdSocketActivation.listeningSocket() {
            return ListeningSocket(descriptor: try moveHigh(inherited), address: "a socket from systemd", fromSystemd: true)
        }
        return try bind(host: host, port: port, backlog: backlog)
    }

    static func bind(host: String, port: Int, backlog: Int) throws -> ListeningSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var results: UnsafeMutablePointer<addrinfo>?
        let lookup = getaddrinfo(host, String(port), &hints, &results)
        guard lookup == 0, let first = results else {
            throw SupervisorError("cannot resolve auth_server.host \"\(host)\": \(String(cString: gai_strerror(lookup)))")
        }
        defer { freeaddrinfo(results) }

        var lastError: Int32 = 0
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errno; continue }
            var on: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, listen(fd, Int32(backlog)) == 0 {
                return ListeningSocket(descriptor: try moveHigh(fd), address: "\(host):\(port)", fromSystemd: false)
            }
            lastError = errno
            Glibc.close(fd)
        }
        throw SupervisorError("cannot listen on \(host):\(port) (auth_server.host, auth_server.port): \(String(cString: strerror(lastError)))")
    }

    func close() { _ = Glibc.close(descriptor) }

    private static func moveHigh(_ fd: Int32) throws -> Int32 {
        guard fd < minimumDescriptor else {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            return fd
        }
        let moved = fcntl(fd, F_DUPFD_CLOEXEC, minimumDescriptor)
        guard moved >= 0 else { throw SupervisorError.systemCall("fcntl(F_DUPFD_CLOEXEC)") }
        Glibc.close(fd)
        return moved
    }
}
