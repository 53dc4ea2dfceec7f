import Foundation

/// Reads the kernel's process table (/proc) the way an operator would with ps.
enum ProcessTable {
    static func children(of parent: pid_t) -> [pid_t] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(parent)/task")) ?? []
        return tasks.flatMap { task -> [pid_t] in
            let text = (try? String(contentsOfFile: "/proc/\(parent)/task/\(task)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }.sorted()
    }

    static func commandLine(of pid: pid_t) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return String(decoding: data.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }

    /// Live children whose command line names `program` (zombies excluded).
    static func children(of parent: pid_t, named program: String) -> [pid_t] {
        children(of: parent).filter { isAlive($0) && commandLine(of: $0).contains(program) }
    }

    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }

    /// What descriptor `fd` of `pid` is, e.g. `socket:[12345]`.
    static func descriptor(_ fd: Int32, of pid: pid_t) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")
    }

    /// Whether a process has accepted the loopback TCP connection from `peerPort` to `port`:
    /// until then the kernel holds it in the listen queue with no inode (/proc/net/tcp).
    static func hasAccepted(port: Int, peerPort: Int) -> Bool {
        // Read to the end: the table is longer than the one read String(contentsOfFile:) makes of
        // a file that, like every file in /proc, says it is empty.
        guard let data = FileHandle(forReadingAtPath: "/proc/net/tcp")?.readDataToEndOfFile() else { return false }
        let table = String(decoding: data, as: UTF8.self)
        let (local, remote) = (String(format: ":%04X", port), String(format: ":%04X", peerPort))
        return table.split(separator: "\n").dropFirst().contains { row in
            let fields = row.split(separator: " ")
            return fields.count > 9 && fields[1].hasSuffix(local) && fields[2].hasSuffix(remote) && fields[9] != "0"
        }
    }
}
