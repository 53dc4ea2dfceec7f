import CoreMetrics
import Foundation
import SharedPlatform
import Synchronization
import Testing

/// The worker's side of the metrics region (swift-metrics handlers writing into shared
/// memory) and the supervisor's (reading, adding up, rendering), in one process.
struct MetricsRegionTests {
    @Test func whatAWorkerCountsIsWhatTheSupervisorReads() throws {
        let region = try MetricsRegion.create(capacity: 1 << 16)
        let factory = SharedMetricsFactory(region: region)
        let tokens = Counter(label: "oauth2_tokens_issued_total", dimensions: [("grant_type", "client_credentials"), ("client_id", "a\"b")], factory: factory)
        let again = Counter(label: "oauth2_tokens_issued_total", dimensions: [("grant_type", "client_credentials"), ("client_id", "a\"b")], factory: factory)
        let timer = CoreMetrics.Timer(label: "oauth2_http_request_duration_seconds", dimensions: [("route", "/token")], factory: factory)
        tokens.increment()
        again.increment(by: 2)
        tokens.reset()  // a worker cannot take counts back
        timer.recordNanoseconds(300_000)  // 0.3 ms: the first bucket
        timer.recordNanoseconds(3_000_000)  // 3 ms: the 5 ms bucket
        timer.recordNanoseconds(60_000_000_000)  // a minute: past every bound

        // The supervisor maps the same memory through its own descriptor.
        let reader = try MetricsRegion.open(descriptor: dup(region.descriptor))
        let (entries, next) = reader.entries(after: 0)
        #expect(entries.count == 2, "one series per name and labels, however often asked for")
        #expect(reader.entries(after: next).entries.isEmpty)
        var totals = MetricsTotals()
        totals.add(entries)
        totals.add(entries)  // a second worker with the same counts
        #expect(totals.value("oauth2_tokens_issued_total", labels: [("grant_type", "client_credentials"), ("client_id", "a\"b")]) == 6)
        #expect(totals.value("oauth2_http_request_duration_seconds", labels: [("route", "/token")]) == 6)

        let text = totals.rendered()
        #expect(text.contains(#"oauth2_tokens_issued_total{grant_type="client_credentials",client_id="a\"b"} 6"#))
        #expect(text.contains("# TYPE oauth2_http_request_duration_seconds histogram"))
        #expect(text.contains(#"oauth2_http_request_duration_seconds_bucket{route="/token",le="0.0005"} 2"#))
        #expect(text.contains(#"oauth2_http_request_duration_seconds_bucket{route="/token",le="0.005"} 4"#))
        #expect(text.contains(#"oauth2_http_request_duration_seconds_bucket{route="/token",le="10"} 4"#))
        #expect(text.contains(#"oauth2_http_request_duration_seconds_bucket{route="/token",le="+Inf"} 6"#))
        #expect(text.contains(#"oauth2_http_request_duration_seconds_sum{route="/token"} 120.0066"#))
        #expect(text.contains(#"oauth2_http_request_duration_seconds_count{route="/token"} 6"#))
        #expect(text.contains("# HELP oauth2_tokens_issued_total "))
    }

    @Test func aFullRegionCountsNothingNewAndSaysSoOnce() throws {
        let region = try MetricsRegion.create(capacity: 256)
        let complaints = Counted()
        let factory = SharedMetricsFactory(region: region) { complaints.add() }
        for index in 0..<20 { Counter(label: "oauth2_test_total", dimensions: [("n", String(index))], factory: factory).increment() }
        let stored = region.entries(after: 0).entries.count
        #expect(stored > 0 && stored < 20)
        #expect(complaints.value == 1)
    }

    @Test func garbageInARegionStopsTheReaderInsteadOfCrashingIt() throws {
        let region = try MetricsRegion.create(capacity: 4096)
        let factory = SharedMetricsFactory(region: region)
        Counter(label: "oauth2_test_total", factory: factory).increment()
        // A broken worker scribbles over the entry's name length.
        let mapped = mmap(nil, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, region.descriptor, 0)!
        defer { munmap(mapped, 4096) }
        mapped.storeBytes(of: UInt32.max, toByteOffset: 64 + 8, as: UInt32.self)
        #expect(region.entries(after: 0).entries.isEmpty)
    }

    @Test func aDescriptorThatIsNotARegionIsRefused() throws {
        let descriptor = open("/dev/null", O_RDONLY)
        defer { close(descriptor) }
        #expect(throws: MetricsRegionError.self) { try MetricsRegion.open(descriptor: dup(descriptor)) }
    }
}

private final class Counted: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
