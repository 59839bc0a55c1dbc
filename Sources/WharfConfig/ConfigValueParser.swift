import Foundation

/// Parsers for the value forms config.yml uses beyond plain strings: durations (`30s`,
/// `2m`, `1h30m`, `500ms`, as Go's `time.ParseDuration` writes them) and byte sizes
/// (`65536`, `64KiB`, `4MiB`, `1GiB`, `10MB`). Both refuse negative and absurdly large
/// values instead of trapping on overflow.
public enum ConfigValueParser {
    /// Largest duration accepted: 100 years, far beyond any sensible timeout.
    public static let maxDuration: Double = 100 * 365 * 86_400

    /// Seconds in a duration string. A bare number means seconds (`30` = `30s`). The
    /// result is whole microseconds, computed exactly (no floating-point sums), so
    /// ``formatDuration(_:)`` writes it back to text that reads back to the same value.
    ///
    /// ```swift
    /// ConfigValueParser.duration("1h30m")   // 5400
    /// ConfigValueParser.duration("250ms")   // 0.25
    /// ```
    public static func duration(_ text: String) -> Double? {
        let s = Array(text.utf8)
        guard !s.isEmpty, s.count <= 64 else { return nil }
        let isNumberByte: (UInt8) -> Bool = { ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }
        let maxNanoseconds = Int64(maxDuration) * 1_000_000_000
        var totalNanoseconds: Int64 = 0
        var i = 0
        while i < s.count {
            let numberStart = i
            while i < s.count && isNumberByte(s[i]) { i += 1 }
            let number = s[numberStart..<i]
            let unitStart = i
            while i < s.count && !isNumberByte(s[i]) { i += 1 }
            let unit = String(decoding: s[unitStart..<i], as: UTF8.self)
            let scale: Int64
            switch unit {
            case "ns": scale = 1
            case "us", "µs", "μs": scale = 1_000
            case "ms": scale = 1_000_000
            case "s": scale = 1_000_000_000
            case "m": scale = 60_000_000_000
            case "h": scale = 3_600_000_000_000
            case "" where numberStart == 0 && i == s.count: scale = 1_000_000_000
            default: return nil
            }
            guard let nanoseconds = nanoseconds(number, scale: scale) else { return nil }
            let (sum, overflow) = totalNanoseconds.addingReportingOverflow(nanoseconds)
            guard !overflow, sum <= maxNanoseconds else { return nil }
            totalNanoseconds = sum
        }
        return Double((totalNanoseconds + 500) / 1_000) / 1_000_000
    }

    /// `number` (digits with at most one `.`) times `scale` nanoseconds, exactly; nil on
    /// overflow or a malformed number. Fraction digits past nanoseconds are dropped.
    private static func nanoseconds(_ number: ArraySlice<UInt8>, scale: Int64) -> Int64? {
        let parts = number.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        guard !number.isEmpty, number.filter({ $0 == UInt8(ascii: ".") }).count <= 1,
              parts.contains(where: { !$0.isEmpty }) else { return nil }
        var whole: Int64 = 0
        for c in parts[0] {
            let (times10, o1) = whole.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.addingReportingOverflow(Int64(c - 0x30))
            guard !o1, !o2 else { return nil }
            whole = next
        }
        let (wholeNanoseconds, overflow) = whole.multipliedReportingOverflow(by: scale)
        guard !overflow else { return nil }
        guard parts.count == 2 else { return wholeNanoseconds }
        var fraction: Int64 = 0   // nine digits: billionths of the unit
        var digits = 0
        for c in parts[1] where digits < 9 {
            fraction = fraction * 10 + Int64(c - 0x30)
            digits += 1
        }
        while digits < 9 { fraction *= 10; digits += 1 }
        let fractionNanoseconds = scale >= 1_000_000_000
            ? fraction * (scale / 1_000_000_000)
            : fraction / (1_000_000_000 / scale)
        let (sum, o) = wholeNanoseconds.addingReportingOverflow(fractionNanoseconds)
        return o ? nil : sum
    }

    /// Bytes in a size string: plain bytes or a number with a unit (`B`, `KiB`, `MiB`,
    /// `GiB`, `TiB`, or decimal `kB`, `KB`, `MB`, `GB`, `TB`). Whole numbers only.
    ///
    /// ```swift
    /// ConfigValueParser.byteSize("64KiB")   // 65536
    /// ```
    public static func byteSize(_ text: String) -> Int64? {
        let s = Array(text.utf8)
        var i = 0
        while i < s.count && s[i] >= 0x30 && s[i] <= 0x39 { i += 1 }
        guard i > 0, i <= 19, let number = Int64(String(decoding: s[0..<i], as: UTF8.self)) else { return nil }
        var j = i
        while j < s.count && s[j] == UInt8(ascii: " ") { j += 1 }
        let unit = String(decoding: s[j...], as: UTF8.self)
        let scale: Int64
        switch unit {
        case "", "B": scale = 1
        case "KiB", "Ki", "K": scale = 1 << 10
        case "MiB", "Mi", "M": scale = 1 << 20
        case "GiB", "Gi", "G": scale = 1 << 30
        case "TiB", "Ti", "T": scale = 1 << 40
        case "kB", "KB": scale = 1_000
        case "MB": scale = 1_000_000
        case "GB": scale = 1_000_000_000
        case "TB": scale = 1_000_000_000_000
        default: return nil
        }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: scale)
        return overflow ? nil : bytes
    }

    /// Writes seconds back in Go's style (`30s`, `2m`, `1h30m`, `1s500ms`, `250us`), to
    /// the microsecond, so that ``duration(_:)`` reads it back to the same value.
    public static func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds > 0 else { return "0s" }
        guard seconds <= maxDuration else { return "\(Int64(maxDuration))s" }
        let total = Int64((seconds * 1_000_000).rounded())
        if total == 0 { return "0s" }
        var rest = total / 1_000_000
        let micro = total % 1_000_000
        var out = ""
        if rest >= 3600 { out += "\(rest / 3600)h"; rest %= 3600 }
        if rest >= 60 { out += "\(rest / 60)m"; rest %= 60 }
        if rest > 0 { out += "\(rest)s" }
        if micro > 0 { out += micro % 1000 == 0 ? "\(micro / 1000)ms" : "\(micro)us" }
        return out
    }
}

extension ConfigValueParser {
    /// Splits distribution's `http.addr` form (`:5000`, `0.0.0.0:5000`, `[::1]:5000`,
    /// `localhost:5000`) into host and port; nil when malformed or the port is out of range.
    public static func listenAddress(_ addr: String) -> (host: String, port: Int)? {
        var rest = Substring(addr)
        let host: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            rest = rest[rest.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            rest = rest.dropFirst()
        } else {
            guard let colon = rest.lastIndex(of: ":") else { return nil }
            host = rest[..<colon]
            if host.contains(":") { return nil }
            rest = rest[rest.index(after: colon)...]
        }
        guard !rest.isEmpty, rest.count <= 5, rest.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let port = Int(rest), port <= 65535 else { return nil }
        return (String(host), port)
    }
}
