import CProcessShims
import CoreMetrics

/// A duration histogram whose buckets live in a worker's metrics region: an observation is a
/// walk over a dozen bounds and two relaxed atomic adds (its bucket, the sum).
final class SharedHistogram: TimerHandler, @unchecked Sendable {
    // @unchecked: the slots are shared memory changed only by atomic operations.
    private let slots: UnsafeMutablePointer<UInt64>
    private let bounds: [Int64]

    /// `slots` holds one count per bound, one for longer durations, then the sum in nanoseconds.
    init(slots: UnsafeMutablePointer<UInt64>, bounds: [Int64]) {
        self.slots = slots
        self.bounds = bounds
    }

    func recordNanoseconds(_ duration: Int64) {
        let nanoseconds = max(0, duration)
        var bucket = 0
        while bucket < bounds.count, nanoseconds > bounds[bucket] { bucket += 1 }
        oauth2_shared_add(slots + bucket, 1)
        oauth2_shared_add(slots + bounds.count + 1, UInt64(nanoseconds))
    }
}
