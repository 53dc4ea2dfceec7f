import CProcessShims
import Foundation

/// A worker's counters in memory its supervisor maps too: an anonymous memory file the
/// supervisor creates for each worker it spawns and keeps open, so it reads every count the
/// worker made, exactly, even after the worker was killed with SIGKILL (the Prometheus Python
/// client's multiprocess mode, with a memory file instead of one on disk).
///
/// Layout: a header (magic, bytes of entries published), then entries appended by the worker
/// alone. An entry is written in full before the header's count covers it (a release store),
/// so the supervisor (an acquire load) never reads half an entry; after that only its value
/// words change, each by atomic adds. The supervisor checks every length it reads: a worker's
/// bug must not crash it.
///
/// Entry: kind, slot count, name length, labels length (4 × UInt32); the name and the rendered
/// labels (`a="x",b="y"`), padded to 8 bytes; for a histogram its bucket bounds in nanoseconds
/// (slot count − 2 of them); then the value slots (UInt64 each).
package final class MetricsRegion: @unchecked Sendable {
    // @unchecked: `base` is shared memory; the header and entries are written by one writer
    // under the factory's lock and published with release/acquire, values change only through
    // atomic operations (see the type's comment).

    /// What an entry counts.
    package enum Kind: UInt32, Sendable {
        /// One slot: a count.
        case counter = 1
        /// Slots: one count per bucket bound, one for larger values, then the sum in nanoseconds.
        case histogram = 2
    }

    /// One series as the supervisor reads it.
    package struct Entry: @unchecked Sendable {
        package let kind: Kind
        package let name: String
        package let labels: String
        /// Histogram bucket bounds in nanoseconds; empty for a counter.
        package let bounds: [UInt64]
        let slots: UnsafePointer<UInt64>
        package let slotCount: Int

        /// The values as they are now.
        package func values() -> [UInt64] { (0..<slotCount).map { oauth2_shared_load(slots + $0) } }
    }

    /// Enough for every route, status, client and storage operation of a large deployment;
    /// pages the worker never touches cost no memory.
    package static let defaultCapacity = 8 << 20
    private static let magic: UInt64 = 0x3253_5249_5445_4D4F  // "OMETRIS2"
    private static let headerSize = 64

    package let descriptor: Int32
    private let base: UnsafeMutableRawPointer
    package let capacity: Int

    private init(descriptor: Int32, base: UnsafeMutableRawPointer, capacity: Int) {
        self.descriptor = descriptor
        self.base = base
        self.capacity = capacity
    }

    /// A new, empty region (the supervisor, before spawning a worker), its descriptor numbered
    /// at least `minimumDescriptor` so it cannot collide with the numbers a child receives.
    package static func create(capacity: Int = defaultCapacity, minimumDescriptor: Int32 = 0) throws -> MetricsRegion {
        let created = oauth2_memfd_create("oauth2-metrics")
        guard created >= 0 else { throw MetricsRegionError("memfd_create: \(String(cString: strerror(errno)))") }
        let descriptor = created >= minimumDescriptor ? created : fcntl(created, F_DUPFD_CLOEXEC, minimumDescriptor)
        if descriptor != created { close(created) }
        guard descriptor >= 0 else { throw MetricsRegionError("fcntl: \(String(cString: strerror(errno)))") }
        guard ftruncate(descriptor, off_t(capacity)) == 0 else {
            let message = String(cString: strerror(errno))
            close(descriptor)
            throw MetricsRegionError("ftruncate: \(message)")
        }
        let region = try map(descriptor: descriptor, size: capacity)
        region.base.storeBytes(of: magic, toByteOffset: 0, as: UInt64.self)
        return region
    }

    /// The region the supervisor handed this worker at `descriptor`.
    package static func open(descriptor: Int32) throws -> MetricsRegion {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw MetricsRegionError("fstat: \(String(cString: strerror(errno)))") }
        let region = try map(descriptor: descriptor, size: Int(info.st_size))
        guard region.capacity > headerSize, region.base.load(as: UInt64.self) == magic else {
            throw MetricsRegionError("descriptor \(descriptor) is not a metrics region")
        }
        return region
    }

    private static func map(descriptor: Int32, size: Int) throws -> MetricsRegion {
        guard let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0),
            base != UnsafeMutableRawPointer(bitPattern: -1)  // MAP_FAILED
        else {
            throw MetricsRegionError("mmap: \(String(cString: strerror(errno)))")
        }
        return MetricsRegion(descriptor: descriptor, base: base, capacity: size)
    }

    deinit {
        munmap(base, capacity)
        close(descriptor)
    }

    private var usedWord: UnsafeMutablePointer<UInt64> { (base + 8).assumingMemoryBound(to: UInt64.self) }

    /// Bytes of entries published so far.
    var published: Int { Int(oauth2_shared_load_acquire(usedWord)) }

    // MARK: - Writing (the worker; callers serialize)

    /// Appends a series and returns its zeroed slots, or nil when the region is full.
    func append(kind: Kind, name: String, labels: String, bounds: [UInt64] = []) -> UnsafeMutablePointer<UInt64>? {
        let slotCount = kind == .counter ? 1 : bounds.count + 2
        let nameBytes = Array(name.utf8)
        let labelBytes = Array(labels.utf8)
        let textSize = Self.padded(nameBytes.count + labelBytes.count)
        let size = 16 + textSize + 8 * bounds.count + 8 * slotCount
        let start = Self.headerSize + published
        guard start + size <= capacity else { return nil }
        let entry = base + start
        entry.storeBytes(of: kind.rawValue, toByteOffset: 0, as: UInt32.self)
        entry.storeBytes(of: UInt32(slotCount), toByteOffset: 4, as: UInt32.self)
        entry.storeBytes(of: UInt32(nameBytes.count), toByteOffset: 8, as: UInt32.self)
        entry.storeBytes(of: UInt32(labelBytes.count), toByteOffset: 12, as: UInt32.self)
        (entry + 16).copyMemory(from: nameBytes, byteCount: nameBytes.count)
        (entry + 16 + nameBytes.count).copyMemory(from: labelBytes, byteCount: labelBytes.count)
        for (index, bound) in bounds.enumerated() {
            entry.storeBytes(of: bound, toByteOffset: 16 + textSize + 8 * index, as: UInt64.self)
        }
        let slots = (entry + 16 + textSize + 8 * bounds.count).bindMemory(to: UInt64.self, capacity: slotCount)
        slots.initialize(repeating: 0, count: slotCount)
        oauth2_shared_store_release(usedWord, UInt64(published + size))
        return slots
    }

    // MARK: - Reading (the supervisor)

    /// The entries published after byte `offset` (0 at first), and the offset to read on from.
    /// Stops at anything malformed.
    package func entries(after offset: Int) -> (entries: [Entry], next: Int) {
        let end = min(published, capacity - Self.headerSize)
        var position = offset
        var found: [Entry] = []
        while position + 16 <= end {
            let entry = base + Self.headerSize + position
            let kindValue = entry.load(fromByteOffset: 0, as: UInt32.self)
            let slotCount = Int(entry.load(fromByteOffset: 4, as: UInt32.self))
            let nameLength = Int(entry.load(fromByteOffset: 8, as: UInt32.self))
            let labelLength = Int(entry.load(fromByteOffset: 12, as: UInt32.self))
            guard let kind = Kind(rawValue: kindValue), slotCount >= (kind == .counter ? 1 : 2), slotCount < 4096,
                nameLength > 0, nameLength < 4096, labelLength < 65536
            else { break }
            let boundCount = kind == .counter ? 0 : slotCount - 2
            guard kind != .counter || slotCount == 1 else { break }
            let textSize = Self.padded(nameLength + labelLength)
            let size = 16 + textSize + 8 * boundCount + 8 * slotCount
            guard position + size <= end else { break }
            let text = UnsafeRawBufferPointer(start: entry + 16, count: nameLength + labelLength)
            let name = String(decoding: text[..<nameLength], as: UTF8.self)
            let labels = String(decoding: text[nameLength...], as: UTF8.self)
            let bounds = (0..<boundCount).map { entry.load(fromByteOffset: 16 + textSize + 8 * $0, as: UInt64.self) }
            let slots = UnsafePointer((entry + 16 + textSize + 8 * boundCount).assumingMemoryBound(to: UInt64.self))
            found.append(Entry(kind: kind, name: name, labels: labels, bounds: bounds, slots: slots, slotCount: slotCount))
            position += size
        }
        return (found, position)
    }

    private static func padded(_ count: Int) -> Int { (count + 7) & ~7 }
}

/// A metrics region that cannot be created or mapped.
package struct MetricsRegionError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
