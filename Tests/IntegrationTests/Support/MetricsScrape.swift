import Foundation
import TestSupport

/// One `GET /metrics` from a server's supervisor, parsed: every sample by its series
/// (`name{labels}` exactly as written), and the metric families named by TYPE lines.
struct MetricsScrape {
    let samples: [String: Double]
    let families: Set<String>
    let text: String

    static func of(port: Int) async throws -> MetricsScrape {
        let response = try await TestHTTP.get("http://127.0.0.1:\(port)/metrics")
        guard response.status == 200 else { throw TestFailure("GET /metrics answered \(response.status): \(response.body)") }
        return MetricsScrape(text: response.body)
    }

    init(text: String) {
        self.text = text
        var samples: [String: Double] = [:]
        var families: Set<String> = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                families.insert(String(line.split(separator: " ")[2]))
            } else if !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) {
                samples[String(line[..<space])] = value
            }
        }
        self.samples = samples
        self.families = families
    }

    /// The sample of `name` with exactly these labels, in the order the server writes them; 0 when absent.
    func value(_ name: String, _ labels: [(String, String)] = []) -> Double {
        let rendered = labels.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: ",")
        return samples[labels.isEmpty ? name : "\(name){\(rendered)}"] ?? 0
    }

    /// The sum of every sample of `name`, whatever its labels.
    func total(_ name: String) -> Double {
        samples.filter { $0.key == name || $0.key.hasPrefix("\(name){") }.values.reduce(0, +)
    }

    /// Counters and histogram series (not gauges) whose value here is below `earlier`'s.
    func wentBackwards(since earlier: MetricsScrape) -> [String] {
        let gauges: Set<String> = ["oauth2_workers", "oauth2_build_info"]
        return earlier.samples.compactMap { series, before in
            let name = String(series.prefix { $0 != "{" })
            guard !gauges.contains(name) else { return nil }
            let after = samples[series] ?? 0
            return after < before ? "\(series): \(before) → \(after)" : nil
        }
    }
}
