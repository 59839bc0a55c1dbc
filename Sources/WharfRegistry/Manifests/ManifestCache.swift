import Foundation
import WharfAPI

/// A small LRU cache of manifests by digest. Manifests are content-addressed, so an entry
/// can never be stale; whether a repository still links it is checked in storage each time.
final class ManifestCache: @unchecked Sendable {
    private var entries: [Digest: (manifest: StoredManifest, lastUse: UInt64)] = [:]
    private var clock: UInt64 = 0
    private var bytes = 0
    private let capacity: Int
    private let maxBytes: Int
    private let lock = NSLock()

    init(capacity: Int, maxBytes: Int = 64 << 20) {
        self.capacity = max(0, capacity)
        self.maxBytes = maxBytes
    }

    func get(_ digest: Digest) -> StoredManifest? {
        lock.lock()
        defer { lock.unlock() }
        guard var e = entries[digest] else { return nil }
        clock &+= 1
        e.lastUse = clock
        entries[digest] = e
        return e.manifest
    }

    func put(_ manifest: StoredManifest) {
        guard capacity > 0, manifest.data.count <= maxBytes / 4 else { return }
        lock.lock()
        defer { lock.unlock() }
        clock &+= 1
        if let old = entries[manifest.digest] { bytes -= old.manifest.data.count }
        entries[manifest.digest] = (manifest, clock)
        bytes += manifest.data.count
        while entries.count > capacity || bytes > maxBytes,
              let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            bytes -= oldest.value.manifest.data.count
            entries.removeValue(forKey: oldest.key)
        }
    }

    /// Drops `digest` (its bytes were deleted by garbage collection).
    func remove(_ digest: Digest) {
        lock.lock()
        defer { lock.unlock() }
        if let old = entries.removeValue(forKey: digest) { bytes -= old.manifest.data.count }
    }
}
