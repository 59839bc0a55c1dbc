import Foundation

/// Per-label-set values spread over a fixed number of independently locked shards. A
/// recording thread only takes the lock of its own shard (chosen from its thread id), so
/// concurrent requests on different threads do not wait on one global lock; a scrape
/// visits every shard and merges.
final class StripedCells<Cell>: @unchecked Sendable {
    /// Number of shards: a power of two, a few per core is plenty.
    static var shardCount: Int { 16 }

    private final class Shard {
        let lock = NSLock()
        var cells: [[String]: Cell] = [:]
    }

    private let shards: [Shard]
    private let make: () -> Cell

    /// `make` creates a shard's cell for a label set on its first use.
    init(make: @escaping () -> Cell) {
        self.make = make
        shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    /// Runs `body` on the calling thread's cell for `labels`, under that shard's lock only.
    @inline(__always)
    func update(_ labels: [String], _ body: (inout Cell) -> Void) {
        let shard = shards[Self.currentShardIndex()]
        shard.lock.lock()
        defer { shard.lock.unlock() }
        if shard.cells[labels] == nil { shard.cells[labels] = make() }
        body(&shard.cells[labels]!)
    }

    /// Every shard's cells, grouped by label set (for a scrape).
    func snapshot() -> [[String]: [Cell]] {
        var merged: [[String]: [Cell]] = [:]
        for shard in shards {
            shard.lock.lock()
            for (labels, cell) in shard.cells { merged[labels, default: []].append(cell) }
            shard.lock.unlock()
        }
        return merged
    }

    /// The shard for the current thread: a hash of its pthread id.
    @inline(__always)
    static func currentShardIndex() -> Int {
        #if canImport(Darwin)
        let id = UInt64(UInt(bitPattern: pthread_self()))
        #else
        let id = UInt64(pthread_self())
        #endif
        let mixed = (id ^ (id >> 17)) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: mixed >> 60) & (shardCount - 1)
    }
}
