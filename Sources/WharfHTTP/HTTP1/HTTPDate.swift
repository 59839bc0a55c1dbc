import Foundation

/// The IMF-fixdate for the `Date` response header (RFC 9110 §5.6.7), formatted at most
/// once per second and shared by all connections.
enum HTTPDate {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cachedSecond: time_t = 0
    nonisolated(unsafe) private static var cachedValue: [UInt8] = []

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The current date as header-value bytes, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func now() -> [UInt8] {
        let t = time(nil)
        lock.lock()
        defer { lock.unlock() }
        if t != cachedSecond || cachedValue.isEmpty {
            cachedSecond = t
            cachedValue = Array(format(t).utf8)
        }
        return cachedValue
    }

    static func format(_ t: time_t) -> String {
        var tt = t
        var tmv = tm()
        gmtime_r(&tt, &tmv)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[Int(tmv.tm_wday) % 7]), \(two(tmv.tm_mday)) \(months[Int(tmv.tm_mon) % 12]) \(tmv.tm_year + 1900) "
            + "\(two(tmv.tm_hour)):\(two(tmv.tm_min)):\(two(tmv.tm_sec)) GMT"
    }
}
