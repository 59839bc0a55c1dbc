import Foundation
import WharfAPI
import WharfStorage

/// The digests of link files this replica has read, each kept with the ``FileStamp`` it
/// was read under, so a hot tag or revision link costs one `stat` instead of a read
/// through the storage driver's I/O threads.
///
/// Every lookup is validated against storage first (``LinkFiles/read(_:)`` takes the
/// current stamp, then asks here): a link another replica moved or deleted has a new stamp
/// or none, and is read again. Only drivers with ``FileStamping/fileStamp(_:)`` (the
/// filesystem driver) use it. Bounded: past `capacity` entries an arbitrary one is dropped.
final class LinkCache: @unchecked Sendable {
    private var entries: [String: (stamp: FileStamp, digest: Digest)] = [:]
    private let capacity: Int
    private let clock: @Sendable () -> Int64
    private let lock = NSLock()

    /// A cache of at most `capacity` links; 0 disables it. `clock` gives the wall time in
    /// nanoseconds since the epoch (tests move it forward).
    init(capacity: Int, clock: @escaping @Sendable () -> Int64 = FileStamp.wallClockNanoseconds) {
        self.capacity = max(0, capacity)
        self.clock = clock
    }

    /// The number of links held (for tests).
    var count: Int { lock.withLock { entries.count } }

    /// The digest read from `path` when its stamp then was `stamp`, else nil.
    func digest(_ path: String, stamp: FileStamp) -> Digest? {
        lock.lock()
        defer { lock.unlock() }
        guard let e = entries[path], e.stamp == stamp else { return nil }
        return e.digest
    }

    /// Remembers that `path`, stamped `stamp` before it was read, held `digest`. Stamps
    /// younger than ``FileStamp/settleNanoseconds`` are not kept (see ``FileStamp/isSettled(now:)``).
    func store(_ path: String, stamp: FileStamp, digest: Digest) {
        guard capacity > 0, stamp.isSettled(now: clock()) else { return }
        lock.lock()
        defer { lock.unlock() }
        if entries[path] == nil, entries.count >= capacity {
            entries.remove(at: entries.startIndex)
        }
        entries[path] = (stamp, digest)
    }

    /// Forgets `path` (this replica wrote or deleted it).
    func remove(_ path: String) {
        lock.lock()
        defer { lock.unlock() }
        entries.removeValue(forKey: path)
    }
}
