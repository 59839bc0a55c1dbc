import Foundation

/// Prometheus text exposition format 0.0.4: escaping, number formatting and sample lines.
public enum PrometheusText {
    /// The `Content-Type` of a text exposition.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// A `# HELP` text: backslash and line feed escaped.
    public static func escapeHelp(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A label value: backslash, double quote and line feed escaped.
    public static func escapeLabelValue(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A sample value as Go's `strconv.FormatFloat(v, 'g', -1, 64)` would accept it back:
    /// integers without a fraction, `+Inf`, `-Inf`, `NaN`.
    public static func formatValue(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// True for a valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
    public static func isValidMetricName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isNameStart(first, colon: true) else { return false }
        return name.unicodeScalars.allSatisfy { isNameStart($0, colon: true) || ("0"..."9").contains($0) }
    }

    /// True for a valid label name (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`).
    public static func isValidLabelName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isNameStart(first, colon: false), !name.hasPrefix("__") else { return false }
        return name.unicodeScalars.allSatisfy { isNameStart($0, colon: false) || ("0"..."9").contains($0) }
    }

    private static func isNameStart(_ c: Unicode.Scalar, colon: Bool) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_" || (colon && c == ":")
    }

    /// Appends `# HELP` and `# TYPE` lines.
    static func header(_ name: String, help: String, type: String, into out: inout String) {
        out += "# HELP \(name) \(escapeHelp(help))\n# TYPE \(name) \(type)\n"
    }

    /// Appends one sample line: `name{a="x",b="y"} value`.
    static func sample(_ name: String, labels: [(String, String)], value: Double, into out: inout String) {
        out += name
        if !labels.isEmpty {
            out += "{"
            out += labels.map { "\($0.0)=\"\(escapeLabelValue($0.1))\"" }.joined(separator: ",")
            out += "}"
        }
        out += " "
        out += formatValue(value)
        out += "\n"
    }
}

/// A metric the registry can expose: it renders its own `# HELP`, `# TYPE` and samples.
public protocol MetricFamily: AnyObject, Sendable {
    /// The metric name.
    var name: String { get }
    /// Appends the family's exposition text.
    func render(into out: inout String)
}
