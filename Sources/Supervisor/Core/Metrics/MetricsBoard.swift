import Glibc
import SharedPlatform
import Synchronization

/// The workers' metrics regions and what departed workers had counted: everything a scrape
/// combines. The main loop attaches a region when it spawns a worker and detaches it when it
/// reaps one; the metrics listener's thread renders. Both hold the lock for microseconds (a
/// detach reads one region; a scrape copies the values and renders after letting go).
final class MetricsBoard: Sendable {
    private struct Live {
        let region: MetricsRegion
        var entries: [MetricsRegion.Entry] = []
        var parsed = 0

        /// Reads the series the worker added since the last look.
        mutating func refresh() {
            let (new, next) = region.entries(after: parsed)
            entries += new
            parsed = next
        }
    }

    private struct State {
        var live: [pid_t: Live] = [:]
        /// The final counts of every worker that has exited, however it exited.
        var departed = MetricsTotals()
    }

    private let state = Mutex(State())

    func attach(_ region: MetricsRegion, pid: pid_t) {
        state.withLock { $0.live[pid] = Live(region: region) }
    }

    /// Keeps what the worker counted, to its last increment: the region outlives the process.
    func detach(pid: pid_t) {
        state.withLock { state in
            guard var live = state.live.removeValue(forKey: pid) else { return }
            live.refresh()
            state.departed.add(live.entries)
        }
    }

    /// Departed workers' totals plus every live worker's values now.
    func totals() -> MetricsTotals {
        state.withLock { state in
            var totals = state.departed
            for pid in state.live.keys {
                state.live[pid]!.refresh()
                totals.add(state.live[pid]!.entries)
            }
            return totals
        }
    }
}
