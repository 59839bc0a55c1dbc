import Foundation

/// Log verbosity, lowest first. Accepts the OpenShift registry's names (Normal, Debug,
/// Trace, TraceAll) and distribution's (error, warn, info, debug).
public enum LogLevel: Int, Comparable, Sendable, CaseIterable {
    case error = 0, warn, info, debug, trace, traceAll

    /// Parses a level name, case-insensitively; nil when unknown.
    public init?(name: String) {
        switch name.lowercased() {
        case "error", "fatal", "panic": self = .error
        case "warn", "warning": self = .warn
        case "info", "normal": self = .info
        case "debug": self = .debug
        case "trace": self = .trace
        case "traceall": self = .traceAll
        default: return nil
        }
    }

    /// The logrus name written in each line.
    public var label: String {
        switch self {
        case .error: return "error"
        case .warn: return "warning"
        case .info: return "info"
        case .debug: return "debug"
        case .trace, .traceAll: return "trace"
        }
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// Output shape: logrus text (`time="..." level=info msg="..." k=v`) or one JSON object per line.
/// Line formats: logrus' `text` (key=value), `json`, and `logstash` (JSON with
/// `@timestamp`, `@version` and `message`, as logstash's json codec expects).
public enum LogFormat: String, Sendable { case text, json, logstash }

/// A structured logger writing one line per event to a file descriptor (stderr by default).
///
/// ```swift
/// let log = Logger(level: .info)
/// log.info("listening", ["addr": ":5000"])
/// // time="2026-11-22T17:00:00.123Z" level=info msg=listening addr=":5000" instance.id=...
/// ```
/// Writes are serialized with a lock and never interleave.
public final class Logger: @unchecked Sendable {
    public let level: LogLevel
    public let format: LogFormat
    /// Fields added to every line (e.g. `instance.id`).
    public let baseFields: [(String, String)]
    private let fd: Int32
    private let lock = NSLock()

    public init(level: LogLevel = .info, format: LogFormat = .text, fields: [(String, String)] = [], fd: Int32 = 2) {
        self.level = level
        self.format = format
        self.baseFields = fields
        self.fd = fd
    }

    @inlinable public func enabled(_ l: LogLevel) -> Bool { l <= level }

    public func error(_ msg: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.error, msg, fields) }
    public func warn(_ msg: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.warn, msg, fields) }
    public func info(_ msg: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.info, msg, fields) }
    public func debug(_ msg: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.debug, msg, fields) }
    public func trace(_ msg: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.trace, msg, fields) }

    public func log(_ l: LogLevel, _ msg: String, _ fields: KeyValuePairs<String, String>) {
        guard enabled(l) else { return }
        write(l, msg, fields.map { ($0.key, $0.value) })
    }

    /// Logs `fields` in order; in JSON format the values of `numericKeys` that are plain
    /// decimal numbers are written as JSON numbers rather than strings.
    public func log(_ l: LogLevel, _ msg: String, fields: [(String, String)], numericKeys: Set<String> = []) {
        guard enabled(l) else { return }
        write(l, msg, fields, numericKeys: numericKeys)
    }

    private func write(_ l: LogLevel, _ msg: String, _ fields: [(String, String)], numericKeys: Set<String> = []) {
        var line: [UInt8] = []
        line.reserveCapacity(512)
        switch format {
        case .text:
            line += "time=\"".utf8
            Self.appendTimestamp(&line)
            line += "\" level=".utf8
            line += l.label.utf8
            line += " msg=".utf8
            Self.appendQuoted(&line, msg)
            for (k, v) in fields { Self.appendField(&line, k, v) }
            for (k, v) in baseFields { Self.appendField(&line, k, v) }
        case .json, .logstash:
            var time: [UInt8] = []
            Self.appendTimestamp(&time)
            let stamp = String(decoding: time, as: UTF8.self)
            var obj: [(String, String)] = format == .json
                ? [("time", stamp), ("level", l.label), ("msg", msg)]
                : [("@timestamp", stamp), ("@version", "1"), ("level", l.label), ("message", msg)]
            obj += fields + baseFields
            line += ("{" + obj.map { key, value in
                let number = numericKeys.contains(key) && Self.isDecimalNumber(value)
                return Self.jsonString(key) + ":" + (number ? value : Self.jsonString(value))
            }.joined(separator: ",") + "}").utf8
        }
        line.append(UInt8(ascii: "\n"))
        lock.lock()
        defer { lock.unlock() }
        line.withUnsafeBytes { bytes in
            var off = 0
            while off < bytes.count {
                let n = Foundation.write(fd, bytes.baseAddress! + off, bytes.count - off)
                if n <= 0 { break }
                off += n
            }
        }
    }

    private static func appendField(_ line: inout [UInt8], _ key: String, _ value: String) {
        line.append(UInt8(ascii: " "))
        line += key.utf8
        line.append(UInt8(ascii: "="))
        appendQuoted(&line, value)
    }

    /// RFC 3339 UTC with milliseconds.
    static func timestamp(_ d: Date) -> String {
        var out: [UInt8] = []
        appendTimestamp(&out, seconds: d.timeIntervalSince1970)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the time now (or `seconds` since the epoch) as RFC 3339 UTC with
    /// milliseconds, digit by digit: this runs for every access-log line.
    static func appendTimestamp(_ out: inout [UInt8], seconds: Double? = nil) {
        let epoch: Double
        if let seconds {
            epoch = seconds
        } else {
            var ts = timespec()
            clock_gettime(CLOCK_REALTIME, &ts)
            epoch = Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        }
        var t = time_t(epoch)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        let ms = Int((epoch - Double(t)) * 1000)
        func digits(_ value: Int, _ width: Int) {
            var v = value
            var buffer: (UInt8, UInt8, UInt8, UInt8) = (48, 48, 48, 48)
            withUnsafeMutableBytes(of: &buffer) { b in
                var i = width - 1
                while i >= 0 { b[i] = UInt8(48 + v % 10); v /= 10; i -= 1 }
                out.append(contentsOf: b[0..<width])
            }
        }
        digits(Int(tmv.tm_year) + 1900, 4); out.append(UInt8(ascii: "-"))
        digits(Int(tmv.tm_mon) + 1, 2); out.append(UInt8(ascii: "-"))
        digits(Int(tmv.tm_mday), 2); out.append(UInt8(ascii: "T"))
        digits(Int(tmv.tm_hour), 2); out.append(UInt8(ascii: ":"))
        digits(Int(tmv.tm_min), 2); out.append(UInt8(ascii: ":"))
        digits(Int(tmv.tm_sec), 2); out.append(UInt8(ascii: "."))
        digits(min(max(ms, 0), 999), 3); out.append(UInt8(ascii: "Z"))
    }

    /// ``quote(_:)`` appended to `out` without an intermediate string for bare tokens.
    static func appendQuoted(_ out: inout [UInt8], _ s: String) {
        if isBareToken(s) { out += s.utf8 } else { out += jsonString(s).utf8 }
    }

    private static func isBareToken(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy({ c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
                || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "/")
                || c == UInt8(ascii: "@") || c == UInt8(ascii: "^") || c == UInt8(ascii: "+")
        })
    }

    /// `123` or `0.000187`: digits with at most one inner dot, a valid JSON number.
    static func isDecimalNumber(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }) else { return false }
        return parts[0] == "0" || parts[0].first != "0"
    }

    /// logrus quoting: bare when the value is a simple token, else a quoted, escaped string.
    static func quote(_ s: String) -> String {
        isBareToken(s) ? s : jsonString(s)
    }

    static func jsonString(_ s: String) -> String {
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + s + "\""
        }
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
