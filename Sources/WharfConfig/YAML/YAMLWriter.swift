import Foundation

/// Writes a ``YAMLNode`` tree as block-style YAML that ``YAMLReader`` reads back to the
/// same tree (apart from lines and quoting style). Null scalars are written empty; other
/// scalars are left plain when that is unambiguous and double-quoted otherwise.
///
/// ```swift
/// YAMLWriter.write(node)   // "http:\n  addr: \":5000\"\n"
/// ```
public enum YAMLWriter {
    /// The document text, ending in a newline.
    public static func write(_ node: YAMLNode) -> String {
        var out = ""
        switch node.content {
        case .scalar(let s, _): out = node.isNull ? "" : scalar(s) + "\n"
        case .sequence(let items) where items.isEmpty: out = "[]\n"
        case .mapping(let entries) where entries.isEmpty: out = "{}\n"
        default: emit(node, indent: 0, into: &out)
        }
        return out
    }

    private static func emit(_ node: YAMLNode, indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        switch node.content {
        case .scalar(let s, _):
            out += pad + (node.isNull ? "~" : scalar(s)) + "\n"
        case .mapping(let entries):
            for e in entries {
                out += pad + scalar(e.key) + ":"
                append(e.value, indent: indent, into: &out)
            }
        case .sequence(let items):
            for item in items {
                out += pad + "-"
                switch item.content {
                case .scalar(let s, _): out += item.isNull ? "\n" : " " + scalar(s) + "\n"
                case .sequence(let inner) where inner.isEmpty: out += " []\n"
                case .mapping(let inner) where inner.isEmpty: out += " {}\n"
                default:
                    out += "\n"
                    emit(item, indent: indent + 2, into: &out)
                }
            }
        }
    }

    /// The value after `key:`.
    private static func append(_ value: YAMLNode, indent: Int, into out: inout String) {
        switch value.content {
        case .scalar(let s, _): out += value.isNull ? "\n" : " " + scalar(s) + "\n"
        case .sequence(let items) where items.isEmpty: out += " []\n"
        case .mapping(let entries) where entries.isEmpty: out += " {}\n"
        default:
            out += "\n"
            emit(value, indent: indent + 2, into: &out)
        }
    }

    /// A scalar, plain when it reads back as itself, else double-quoted.
    public static func scalar(_ s: String) -> String {
        isSafePlain(s) ? s : quoted(s)
    }

    private static func isSafePlain(_ s: String) -> Bool {
        guard let first = s.utf8.first else { return false }
        let ok: (UInt8) -> Bool = { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
                || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") || c == UInt8(ascii: "/")
                || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: "@")
                || c == UInt8(ascii: ":") || c == UInt8(ascii: "=")
        }
        guard s.utf8.allSatisfy(ok), first != UInt8(ascii: "-"), first != UInt8(ascii: ":"),
              first != UInt8(ascii: "@"), s.utf8.last != UInt8(ascii: ":") else { return false }
        return !["~", "null", "Null", "NULL"].contains(s) && !s.hasPrefix("...")
    }

    private static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7F || (u.value >= 0x80 && u.value < 0xA0) {
                    out += String(format: "\\x%02X", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
