#if canImport(Glibc)
import Glibc
#endif

/// Milliseconds since 1970: the unit of every expiry, in SQL columns and Redis scores alike.
enum StorageClock {
    static func nowMilliseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }

    /// The expiry for a lifetime in seconds, or nil for "never" (0).
    static func expiry(afterSeconds ttl: Int) -> Int64? {
        ttl > 0 ? nowMilliseconds() + Int64(ttl) * 1000 : nil
    }
}
