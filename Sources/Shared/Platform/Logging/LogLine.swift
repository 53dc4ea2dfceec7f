import Foundation
import Logging

/// Formats one event as the line operators grep: `<ISO-8601 UTC time> <role>[<pid>] <level>: <message>`.
package enum LogLine {
    package static func format(
        date: timespec,
        role: String,
        pid: Int32,
        level: LogLevelName,
        message: String,
        metadata: Logger.Metadata
    ) -> String {
        var line = timestamp(date)
        line += " \(role)[\(pid)] \(level.rawValue): "
        line += singleLine(message)
        for key in metadata.keys.sorted() {
            line += " \(key)=\(singleLine(metadata[key]!.description))"
        }
        line += "\n"
        return line
    }

    /// Keeps one event on one line, so a value sent by a client (a username or client_id with
    /// a newline) cannot forge a log line: every control character (C0, DEL, C1) and the Unicode
    /// line and paragraph separators are escaped. Scalars, not Characters: CR LF is one Character.
    package static func singleLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                escaped.append(scalar)
                continue
            }
            switch scalar {
            case "\n": escaped.append(contentsOf: "\\n".unicodeScalars)
            case "\r": escaped.append(contentsOf: "\\r".unicodeScalars)
            case "\t": escaped.append(contentsOf: "\\t".unicodeScalars)
            default:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                escaped.append(contentsOf: "\\u{\(hex)}".unicodeScalars)
            }
        }
        return String(escaped)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    /// `2026-11-30T12:00:00.123Z`, built by hand: this runs for every request.
    package static func timestamp(_ time: timespec) -> String {
        var seconds = time_t(time.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = Int(time.tv_nsec / 1_000_000)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }

    package static func now() -> timespec {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return time
    }
}
