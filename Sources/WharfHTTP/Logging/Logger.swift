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
public enum LogFormat: String, Sendable { case text, json }

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

    public func log(_ l: LogLevel, _ msg: String, fields: [(String, String)]) {
        guard enabled(l) else { return }
        write(l, msg, fields)
    }

    private func write(_ l: LogLevel, _ msg: String, _ fields: [(String, String)]) {
        let time = Self.timestamp(Date())
        var line: String
        switch format {
        case .text:
            line = "time=\"\(time)\" level=\(l.label) msg=\(Self.quote(msg))"
            for (k, v) in fields + baseFields { line += " \(k)=\(Self.quote(v))" }
        case .json:
            var obj: [(String, String)] = [("time", time), ("level", l.label), ("msg", msg)]
            obj += fields + baseFields
            line = "{" + obj.map { "\(Self.jsonString($0.0)):\(Self.jsonString($0.1))" }.joined(separator: ",") + "}"
        }
        line += "\n"
        lock.lock()
        defer { lock.unlock() }
        var bytes = Array(line.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Foundation.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n <= 0 { break }
            off += n
        }
        bytes.removeAll()
    }

    /// RFC 3339 UTC with milliseconds.
    static func timestamp(_ d: Date) -> String {
        var t = time_t(d.timeIntervalSince1970)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        let ms = Int((d.timeIntervalSince1970 - Double(t)) * 1000)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(tmv.tm_year) + 1900, Int(tmv.tm_mon) + 1,
                      Int(tmv.tm_mday), Int(tmv.tm_hour), Int(tmv.tm_min), Int(tmv.tm_sec), ms)
    }

    /// logrus quoting: bare when the value is a simple token, else a quoted, escaped string.
    static func quote(_ s: String) -> String {
        if !s.isEmpty && s.utf8.allSatisfy({ c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
                || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "/")
                || c == UInt8(ascii: "@") || c == UInt8(ascii: "^") || c == UInt8(ascii: "+")
        }) { return s }
        return jsonString(s)
    }

    static func jsonString(_ s: String) -> String {
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
