/// A failure of the supervisor's own system calls, with the call that failed.
struct SupervisorError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }

    static func systemCall(_ name: String, errno code: Int32 = errno) -> SupervisorError {
        SupervisorError("\(name) failed: \(String(cString: strerror(code)))")
    }
}

#if canImport(Glibc)
import Glibc
#endif
