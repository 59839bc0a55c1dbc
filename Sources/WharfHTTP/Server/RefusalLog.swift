import Dispatch

/// Counts refused connections and says when to log them: the first refusal at once, then at
/// most one line per interval carrying how many were refused since the last line, so a flood
/// of refusals cannot flood the log.
struct RefusalLog {
    let interval: Double
    private var pending = 0
    private var lastLine: DispatchTime?

    init(interval: Double) { self.interval = interval }

    /// Records one refusal; returns the count to log now, or nil when a line was written
    /// less than ``interval`` ago.
    mutating func refused(now: DispatchTime) -> Int? {
        pending += 1
        if let last = lastLine, now < last + interval { return nil }
        lastLine = now
        defer { pending = 0 }
        return pending
    }
}
