import Foundation
import WharfCrypto

/// Running SHA-256 states of uploads in progress, keyed by upload id and the offset they
/// cover. A cache only: on a miss (another replica took the last chunk, a restart, an
/// eviction) the session re-hashes the bytes already in storage.
final class UploadHasherCache: @unchecked Sendable {
    private struct Entry {
        var offset: Int64
        var hasher: DigestHasher
        var lastUse: UInt64
    }

    private let capacity: Int
    private var entries: [String: Entry] = [:]
    private var clock: UInt64 = 0
    private let lock = NSLock()

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Removes and returns the state for `uuid` if it covers exactly `offset` bytes.
    func take(_ uuid: String, offset: Int64) -> DigestHasher? {
        lock.lock()
        defer { lock.unlock() }
        guard let e = entries.removeValue(forKey: uuid), e.offset == offset else { return nil }
        return e.hasher
    }

    /// Remembers `hasher` as covering the first `offset` bytes of `uuid`.
    func put(_ uuid: String, offset: Int64, hasher: DigestHasher) {
        lock.lock()
        defer { lock.unlock() }
        clock &+= 1
        entries[uuid] = Entry(offset: offset, hasher: hasher, lastUse: clock)
        if entries.count > capacity, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            entries.removeValue(forKey: oldest)
        }
    }

    func remove(_ uuid: String) {
        lock.lock()
        defer { lock.unlock() }
        entries.removeValue(forKey: uuid)
    }
}
