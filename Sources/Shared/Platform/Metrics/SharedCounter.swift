import CProcessShims
import CoreMetrics

/// A counter whose value lives in a worker's metrics region: an increment is one relaxed
/// atomic add, with no lock and no allocation.
final class SharedCounter: CounterHandler, @unchecked Sendable {
    // @unchecked: the slot is shared memory changed only by atomic operations.
    private let slot: UnsafeMutablePointer<UInt64>

    init(slot: UnsafeMutablePointer<UInt64>) { self.slot = slot }

    func increment(by amount: Int64) {
        guard amount > 0 else { return }  // counters never go backwards
        oauth2_shared_add(slot, UInt64(amount))
    }

    /// A region's counts are the supervisor's to keep; a worker cannot take them back.
    func reset() {}
}
