import Foundation

/// Slows password guessing: failed authentications are counted per client address and per
/// user name, and past a few failures further attempts from that address or for that name
/// are refused (429 + `Retry-After`) for a short backoff that doubles with each failure.
///
/// A refused attempt costs no bcrypt and does not count, so the backoff is bounded
/// (``maxBackoff``). Credentials already proven (the ``Authenticator``'s cache) are checked
/// before this throttle, so a client that is logged in is never slowed by someone guessing.
/// Counters are forgotten ``window`` seconds after their last failure; at most ``capacity``
/// keys are kept (the oldest half is dropped when full).
public final class AuthFailureThrottle: @unchecked Sendable {
    /// Failures allowed before the backoff starts.
    public let freeFailures: Int
    /// The longest backoff, in seconds.
    public let maxBackoff: Double
    /// Seconds after the last failure when a counter is forgotten.
    public let window: Double
    private let capacity: Int

    private struct Counter {
        var failures: Int
        var last: Double
    }

    private let lock = NSLock()
    private var counters: [String: Counter] = [:]

    /// A throttle: `freeFailures` failures are free, then 1 s, 2 s, 4 s … up to `maxBackoff`.
    public init(freeFailures: Int = 5, maxBackoff: Double = 30, window: Double = 300, capacity: Int = 10_000) {
        self.freeFailures = freeFailures
        self.maxBackoff = maxBackoff
        self.window = window
        self.capacity = capacity
    }

    /// Seconds to wait before the next attempt from `address` for `user` may be checked,
    /// or nil when it may be checked now.
    public func retryAfter(address: String, user: String, now: Double = AuthFailureThrottle.clock()) -> Int? {
        lock.lock(); defer { lock.unlock() }
        var wait = 0.0
        for key in Self.keys(address: address, user: user) {
            guard let c = counters[key] else { continue }
            if now - c.last > window { counters[key] = nil; continue }
            wait = max(wait, c.last + backoff(c.failures) - now)
        }
        return wait > 0 ? Int(wait.rounded(.up)) : nil
    }

    /// A failed check from `address` for `user`.
    public func failed(address: String, user: String, now: Double = AuthFailureThrottle.clock()) {
        lock.lock(); defer { lock.unlock() }
        if counters.count >= capacity {
            for (k, _) in counters.sorted(by: { $0.value.last < $1.value.last }).prefix(capacity / 2) { counters[k] = nil }
        }
        for key in Self.keys(address: address, user: user) {
            var c = counters[key] ?? Counter(failures: 0, last: now)
            if now - c.last > window { c.failures = 0 }
            c.failures += 1
            c.last = now
            counters[key] = c
        }
    }

    /// A successful check for `user`: that name's counter is cleared (the address's is not,
    /// so an attacker cannot reset it by logging in to an account of their own).
    public func succeeded(user: String) {
        lock.lock(); defer { lock.unlock() }
        counters["user\u{0}" + user] = nil
    }

    private func backoff(_ failures: Int) -> Double {
        guard failures >= freeFailures else { return 0 }
        return min(maxBackoff, pow(2, Double(min(failures - freeFailures, 30))))
    }

    private static func keys(address: String, user: String) -> [String] {
        ["addr\u{0}" + host(of: address), "user\u{0}" + user]
    }

    /// The host part of `host:port` or `[v6]:port`.
    static func host(of address: String) -> String {
        guard let colon = address.lastIndex(of: ":") else { return address }
        let head = address[..<colon]
        if head.hasPrefix("[") || !head.contains(":") { return String(head) }
        return address
    }

    /// Seconds on a monotonic clock.
    public static func clock() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
