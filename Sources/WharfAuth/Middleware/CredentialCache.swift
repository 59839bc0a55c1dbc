import Foundation

/// A bounded map from a credential's fingerprint (a SHA-256 of it, never the secret) to
/// what it proved, so bcrypt and policy lookups run once per credential rather than once
/// per request. Entries expire; when full, the oldest half is dropped.
final class CredentialCache<Value>: @unchecked Sendable {
    private struct Entry {
        var value: Value
        var expires: UInt64
        var generation: Int
        var inserted: UInt64
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private let capacity: Int
    private let lifetime: UInt64
    private var counter: UInt64 = 0

    /// A cache of at most `capacity` entries, each kept `lifetime` seconds.
    init(capacity: Int = 4096, lifetime: Double = 300) {
        self.capacity = capacity
        self.lifetime = UInt64(lifetime * 1e9)
    }

    /// The value for `key` when present, not expired and of policy `generation`.
    func get(_ key: String, generation: Int) -> Value? {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.lock(); defer { lock.unlock() }
        guard let e = entries[key] else { return nil }
        guard e.expires > now, e.generation == generation else {
            entries[key] = nil
            return nil
        }
        return e.value
    }

    /// Stores `value` for `key`.
    func set(_ key: String, _ value: Value, generation: Int, expiresAt: UInt64? = nil) {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.lock(); defer { lock.unlock() }
        if entries.count >= capacity {
            let sorted = entries.sorted { $0.value.inserted < $1.value.inserted }
            for (k, _) in sorted.prefix(capacity / 2) { entries[k] = nil }
        }
        counter += 1
        entries[key] = Entry(value: value, expires: min(expiresAt ?? UInt64.max, now + lifetime), generation: generation,
                             inserted: counter)
    }

    /// Number of entries (tests).
    var count: Int {
        lock.lock(); defer { lock.unlock() }
        return entries.count
    }
}
