import Foundation

/// The file a test process writes its stdout and stderr to, read back as lines.
struct LogFile: Sendable {
    let path: String

    /// Creates the empty file and returns a handle for the child's output.
    static func create(at path: String) -> (LogFile, FileHandle) {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return (LogFile(path: path), FileHandle(forWritingAtPath: path)!)
    }

    var text: String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    func lines(containing text: String) -> [Substring] {
        self.text.split(separator: "\n").filter { $0.contains(text) }
    }
}
