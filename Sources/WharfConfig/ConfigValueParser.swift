import Foundation

/// Parsers for the value forms config.yml uses beyond plain strings: durations (`30s`,
/// `2m`, `1h30m`, `500ms`, as Go's `time.ParseDuration` writes them) and byte sizes
/// (`65536`, `64KiB`, `4MiB`, `1GiB`, `10MB`). Both refuse negative and absurdly large
/// values instead of trapping on overflow.
public enum ConfigValueParser {
    /// Largest duration accepted: 100 years, far beyond any sensible timeout.
    public static let maxDuration: Double = 100 * 365 * 86_400

    /// Seconds in a duration string. A bare number means seconds (`30` = `30s`).
    ///
    /// ```swift
    /// ConfigValueParser.duration("1h30m")   // 5400
    /// ConfigValueParser.duration("250ms")   // 0.25
    /// ```
    public static func duration(_ text: String) -> Double? {
        let s = Array(text.utf8)
        guard !s.isEmpty, s.count <= 64 else { return nil }
        if let plain = Double(text), plain.isFinite, plain >= 0, plain <= maxDuration,
           s.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }) {
            return plain
        }
        if text == "0" { return 0 }
        var total = 0.0
        var i = 0
        while i < s.count {
            let numberStart = i
            while i < s.count && ((s[i] >= 0x30 && s[i] <= 0x39) || s[i] == UInt8(ascii: ".")) { i += 1 }
            guard i > numberStart, let number = Double(String(decoding: s[numberStart..<i], as: UTF8.self)) else { return nil }
            let unitStart = i
            while i < s.count && !(s[i] >= 0x30 && s[i] <= 0x39) && s[i] != UInt8(ascii: ".") { i += 1 }
            let unit = String(decoding: s[unitStart..<i], as: UTF8.self)
            let scale: Double
            switch unit {
            case "ns": scale = 1e-9
            case "us", "µs", "μs": scale = 1e-6
            case "ms": scale = 1e-3
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            default: return nil
            }
            total += number * scale
            guard total.isFinite, total <= maxDuration else { return nil }
        }
        return total
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

    /// Writes seconds back in Go's style (`30s`, `2m`, `1h30m`, `250ms`).
    public static func formatDuration(_ seconds: Double) -> String {
        if seconds == 0 { return "0s" }
        if seconds < 1 {
            let ms = seconds * 1000
            return ms == ms.rounded() ? "\(Int(ms))ms" : "\(seconds)s"
        }
        guard seconds == seconds.rounded(), seconds < Double(Int.max / 2) else { return "\(seconds)s" }
        var rest = Int(seconds)
        var out = ""
        if rest >= 3600 { out += "\(rest / 3600)h"; rest %= 3600 }
        if rest >= 60 { out += "\(rest / 60)m"; rest %= 60 }
        if rest > 0 { out += "\(rest)s" }
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
