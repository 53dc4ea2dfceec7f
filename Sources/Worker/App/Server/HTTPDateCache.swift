import Foundation
import Synchronization

/// The `Date` header value, formatted once a second rather than once a response.
final class HTTPDateCache: Sendable {
    private struct Cached {
        var second = 0
        var text = ""
    }

    private let cached = Mutex(Cached())

    var current: String {
        let now = Int(Date().timeIntervalSince1970)
        return cached.withLock { cache in
            if cache.second != now {
                cache.second = now
                cache.text = Self.format(Date(timeIntervalSince1970: TimeInterval(now)))
            }
            return cache.text
        }
    }

    private static func format(_ date: Date) -> String {
        date.formatted(
            Date.VerbatimFormatStyle(
                format: "\(weekday: .abbreviated), \(day: .twoDigits) \(month: .abbreviated) \(year: .defaultDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) GMT",
                locale: Locale(identifier: "en_US_POSIX"),
                timeZone: .gmt,
                calendar: Calendar(identifier: .gregorian)
            )
        )
    }
}
