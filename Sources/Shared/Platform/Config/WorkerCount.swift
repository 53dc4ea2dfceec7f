import CProcessShims
import Foundation

/// How many workers to run: a fixed number, or one per CPU this process may use.
package enum WorkerCount: Sendable, Equatable, CustomStringConvertible {
    case fixed(Int)
    case auto

    /// The number to start. "auto" counts the CPUs in this process's affinity mask, capped by
    /// a cgroup CPU quota where one is set, so a container limited to 2 CPUs runs 2 workers.
    package func resolved(cgroupCPUMax: String? = try? String(contentsOfFile: "/sys/fs/cgroup/cpu.max", encoding: .utf8)) -> Int {
        switch self {
        case .fixed(let count):
            return count
        case .auto:
            var cpus = Int(oauth2_affinity_cpu_count())
            if cpus < 1 { cpus = ProcessInfo.processInfo.activeProcessorCount }
            if let quota = cgroupCPUMax.flatMap(Self.cpus(fromCgroupCPUMax:)) { cpus = min(cpus, quota) }
            return max(1, cpus)
        }
    }

    /// Parses cgroup v2 `cpu.max` ("max 100000" or "150000 100000") into whole CPUs, rounded up.
    package static func cpus(fromCgroupCPUMax text: String) -> Int? {
        let fields = text.split(whereSeparator: \.isWhitespace)
        guard fields.count == 2, let quota = Double(fields[0]), let period = Double(fields[1]), period > 0 else {
            return nil
        }
        return max(1, Int((quota / period).rounded(.up)))
    }

    package var description: String {
        switch self {
        case .fixed(let count): "\(count)"
        case .auto: "auto"
        }
    }
}

extension SettingRule where Value == WorkerCount {
    /// `"auto"` (the default), or a fixed number of workers in `range`.
    static func workerCount(in range: ClosedRange<Int>) -> SettingRule<WorkerCount> {
        SettingRule(type: "`\"auto\"` or integer, \(range.lowerBound)–\(range.upperBound)", defaultText: "`\"auto\"`") { reader, key in
            switch reader.value(key) {
            case nil, .string("auto")?:
                return .auto
            case .string(let text)? where Int(text) == nil:
                reader.fail(key, "must be \"auto\" or a whole number of at least \(range.lowerBound), not \"\(text)\"")
                return .auto
            default:
                return .fixed(reader.integer(key, default: range.lowerBound, in: range))
            }
        }
    }
}
