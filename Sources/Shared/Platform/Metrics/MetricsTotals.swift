/// The workers' series added up: what the supervisor serves at /metrics. Counters and
/// histogram buckets are sums, so adding the last values of a departed worker to those of the
/// live ones keeps every counter from going backwards.
package struct MetricsTotals: Sendable, Equatable {
    struct Key: Hashable, Comparable {
        let name: String
        let labels: String

        static func < (lhs: Key, rhs: Key) -> Bool { (lhs.name, lhs.labels) < (rhs.name, rhs.labels) }
    }

    struct Series: Sendable, Equatable {
        let kind: MetricsRegion.Kind
        let bounds: [UInt64]
        var values: [UInt64]
    }

    private var series: [Key: Series] = [:]

    package init() {}

    package var isEmpty: Bool { series.isEmpty }

    /// Adds every entry's current values.
    package mutating func add(_ entries: [MetricsRegion.Entry]) {
        for entry in entries { add(kind: entry.kind, name: entry.name, labels: entry.labels, bounds: entry.bounds, values: entry.values()) }
    }

    package mutating func add(_ other: MetricsTotals) {
        for (key, value) in other.series {
            add(kind: value.kind, name: key.name, labels: key.labels, bounds: value.bounds, values: value.values)
        }
    }

    mutating func add(kind: MetricsRegion.Kind, name: String, labels: String, bounds: [UInt64], values: [UInt64]) {
        let key = Key(name: name, labels: labels)
        guard var existing = series[key] else {
            series[key] = Series(kind: kind, bounds: bounds, values: values)
            return
        }
        // Workers of one build agree on kinds and bounds; a series that does not is skipped.
        guard existing.kind == kind, existing.bounds == bounds, existing.values.count == values.count else { return }
        for index in values.indices { existing.values[index] &+= values[index] }
        series[key] = existing
    }

    /// A counter's total, or a histogram's count (for tests and checks).
    package func value(_ name: String, labels: [(String, String)] = []) -> UInt64? {
        guard let found = series[Key(name: name, labels: PrometheusText.labels(labels))] else { return nil }
        switch found.kind {
        case .counter: return found.values[0]
        case .histogram: return found.values.dropLast().reduce(0, +)
        }
    }

    /// The text exposition format, families in name order, each with HELP and TYPE.
    package func rendered() -> String {
        var text = ""
        var family: String?
        for key in series.keys.sorted() {
            let entry = series[key]!
            if key.name != family {
                family = key.name
                if let help = MetricName.help[key.name] { text += "# HELP \(key.name) \(help)\n" }
                text += "# TYPE \(key.name) \(entry.kind == .counter ? "counter" : "histogram")\n"
            }
            switch entry.kind {
            case .counter:
                text += "\(key.name)\(Self.braced(key.labels)) \(entry.values[0])\n"
            case .histogram:
                let separator = key.labels.isEmpty ? "" : ","
                var cumulative: UInt64 = 0
                for (index, bound) in entry.bounds.enumerated() {
                    cumulative &+= entry.values[index]
                    text += "\(key.name)_bucket{\(key.labels)\(separator)le=\"\(PrometheusText.seconds(nanoseconds: bound))\"} \(cumulative)\n"
                }
                cumulative &+= entry.values[entry.bounds.count]
                text += "\(key.name)_bucket{\(key.labels)\(separator)le=\"+Inf\"} \(cumulative)\n"
                text += "\(key.name)_sum\(Self.braced(key.labels)) \(PrometheusText.seconds(nanoseconds: entry.values[entry.bounds.count + 1]))\n"
                text += "\(key.name)_count\(Self.braced(key.labels)) \(cumulative)\n"
            }
        }
        return text
    }

    private static func braced(_ labels: String) -> String { labels.isEmpty ? "" : "{\(labels)}" }
}
