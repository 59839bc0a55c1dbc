import Foundation

/// A strict reader for the YAML subset configuration files use.
///
/// Accepted: block mappings and block sequences (including `- key: value` items and
/// compact `- - x`), one-line flow sequences of scalars (`[a, "b"]`), empty `{}` and `[]`,
/// plain, single-quoted and double-quoted scalars (with YAML's escapes), `#` comments and
/// an optional leading `---`. Indentation is by spaces.
///
/// Refused with a `file:line: what is wrong` ``YAMLError``: tabs in indentation, anchors,
/// aliases, tags, directives, several documents, block scalars (`|`, `>`), flow mappings
/// with content, multi-line quoted or plain scalars, complex keys, duplicate keys, nesting
/// deeper than ``maxDepth``, invalid UTF-8 and control characters.
///
/// The reader is iterative over lines and recursive only per nesting level (bounded by
/// ``maxDepth``), and linear in the input size, so no input can crash or hang it.
///
/// ```swift
/// let root = try YAMLReader.parse(Data("log:\n  level: debug\n".utf8), origin: "config.yml")
/// root["log"]?["level"]?.scalar   // "debug"
/// ```
public struct YAMLReader {
    /// Deepest nesting of collections accepted.
    public static let maxDepth = 64

    /// Parses `text`; `origin` (usually the file name) prefixes every error.
    public static func parse(_ text: String, origin: String) throws -> YAMLNode {
        try parse(Data(text.utf8), origin: origin)
    }

    /// Parses the bytes of a document. An empty document (only comments) gives a null node.
    public static func parse(_ data: Data, origin: String) throws -> YAMLNode {
        var reader = YAMLReader(bytes: [UInt8](data), origin: origin)
        return try reader.parseDocument()
    }

    /// One non-blank, non-comment line: `start..<end` is its content after the indentation.
    private struct Line {
        var number: Int
        var indent: Int
        var start: Int
        var end: Int
    }

    private let bytes: [UInt8]
    private let origin: String
    private var lines: [Line] = []
    private var index = 0

    private init(bytes: [UInt8], origin: String) {
        self.bytes = bytes
        self.origin = origin
    }

    private func fail(_ line: Int, _ message: String) -> YAMLError {
        YAMLError(origin: origin, line: line, message: message)
    }

    // MARK: Lines

    private static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), hash = UInt8(ascii: "#")
    private static let colon = UInt8(ascii: ":"), dash = UInt8(ascii: "-")

    private static func isBlank(_ c: UInt8) -> Bool { c == space || c == tab }

    /// Splits the input into content lines, checking encoding and indentation.
    private mutating func splitLines() throws {
        var lineStart = 0
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { lineStart = 3 }
        var number = 0
        while lineStart <= bytes.count {
            number += 1
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            let next = lineEnd + 1
            var end = lineEnd
            if end > lineStart && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            try checkText(lineStart, end, line: number)
            var i = lineStart
            while i < end && bytes[i] == Self.space { i += 1 }
            let indent = i - lineStart
            var j = i
            while j < end && Self.isBlank(bytes[j]) { j += 1 }
            if j == end || bytes[j] == Self.hash {
                // blank or comment-only line
            } else if j != i {
                throw fail(number, "tab character in indentation")
            } else {
                lines.append(Line(number: number, indent: indent, start: i, end: end))
            }
            if lineEnd >= bytes.count { break }
            lineStart = next
        }
    }

    /// Valid UTF-8 without control characters (tab excepted).
    private func checkText(_ start: Int, _ end: Int, line: Int) throws {
        var ascii = true
        for i in start..<end {
            let c = bytes[i]
            if c >= 0x80 { ascii = false; continue }
            if (c < 0x20 && c != Self.tab) || c == 0x7F {
                throw fail(line, String(format: "control character U+%04X is not allowed", Int(c)))
            }
        }
        if !ascii && String(validating: bytes[start..<end], as: UTF8.self) == nil {
            throw fail(line, "invalid UTF-8")
        }
    }

    // MARK: Document

    private mutating func parseDocument() throws -> YAMLNode {
        try splitLines()
        var sawStart = false
        var filtered: [Line] = []
        for line in lines {
            if line.indent == 0 && hasPrefix(line, "---") && (line.end - line.start == 3 || Self.isBlank(bytes[line.start + 3])) {
                var k = line.start + 3
                while k < line.end && Self.isBlank(bytes[k]) { k += 1 }
                if k < line.end && bytes[k] != Self.hash { throw fail(line.number, "content after '---' is not supported") }
                if sawStart || !filtered.isEmpty { throw fail(line.number, "multiple documents are not supported") }
                sawStart = true
                continue
            }
            if line.indent == 0 && hasPrefix(line, "...") && (line.end - line.start == 3 || Self.isBlank(bytes[line.start + 3])) {
                throw fail(line.number, "document end marker '...' is not supported")
            }
            if line.indent == 0 && bytes[line.start] == UInt8(ascii: "%") {
                throw fail(line.number, "directives are not supported")
            }
            filtered.append(line)
        }
        lines = filtered
        guard let first = lines.first else { return .null(line: 1, origin: origin) }
        let root = try parseNode(indent: first.indent, depth: 1)
        if index < lines.count {
            throw fail(lines[index].number, "unexpected content (check the indentation)")
        }
        return root
    }

    private func hasPrefix(_ line: Line, _ s: String) -> Bool {
        let p = Array(s.utf8)
        guard line.end - line.start >= p.count else { return false }
        for (k, c) in p.enumerated() where bytes[line.start + k] != c { return false }
        return true
    }

    // MARK: Blocks

    /// Parses the node starting at the current line, whose indentation is `indent`.
    private mutating func parseNode(indent: Int, depth: Int) throws -> YAMLNode {
        let line = lines[index]
        if depth > Self.maxDepth { throw fail(line.number, "nesting deeper than \(Self.maxDepth) levels") }
        if isSequenceItem(line) { return try parseSequence(indent: indent, depth: depth) }
        if try scanKey(line) != nil { return try parseMapping(indent: indent, depth: depth) }
        let node = try parseInline(line.start, line.end, line: line.number)
        index += 1
        if index < lines.count && lines[index].indent > indent {
            throw fail(lines[index].number, "unexpected indentation (multi-line scalars are not supported)")
        }
        return node
    }

    private func isSequenceItem(_ line: Line) -> Bool {
        bytes[line.start] == Self.dash && (line.start + 1 == line.end || Self.isBlank(bytes[line.start + 1]))
    }

    private mutating func parseMapping(indent: Int, depth: Int) throws -> YAMLNode {
        let startLine = lines[index].number
        var entries: [YAMLEntry] = []
        var seen: [String: Int] = [:]
        while index < lines.count && lines[index].indent == indent {
            let line = lines[index]
            if isSequenceItem(line) { throw fail(line.number, "expected a mapping key, found a sequence item") }
            guard let (key, valueStart) = try scanKey(line) else {
                throw fail(line.number, "expected 'key: value'")
            }
            if let firstLine = seen[key] {
                throw fail(line.number, "duplicate key '\(key)' (first at line \(firstLine))")
            }
            seen[key] = line.number
            var v = valueStart
            while v < line.end && Self.isBlank(bytes[v]) { v += 1 }
            let value: YAMLNode
            if v == line.end || bytes[v] == Self.hash {
                index += 1
                if index < lines.count && lines[index].indent > indent {
                    value = try parseNode(indent: lines[index].indent, depth: depth + 1)
                } else if index < lines.count && lines[index].indent == indent && isSequenceItem(lines[index]) {
                    value = try parseSequence(indent: indent, depth: depth + 1)
                } else {
                    value = .null(line: line.number, origin: origin)
                }
            } else {
                value = try parseInline(v, line.end, line: line.number)
                index += 1
            }
            entries.append(YAMLEntry(key: key, keyLine: line.number, value: value))
            if index < lines.count && lines[index].indent > indent {
                throw fail(lines[index].number, "unexpected indentation")
            }
        }
        return YAMLNode(.mapping(entries), line: startLine, origin: origin)
    }

    private mutating func parseSequence(indent: Int, depth: Int) throws -> YAMLNode {
        let startLine = lines[index].number
        var items: [YAMLNode] = []
        while index < lines.count && lines[index].indent == indent && isSequenceItem(lines[index]) {
            let line = lines[index]
            if depth + 1 > Self.maxDepth { throw fail(line.number, "nesting deeper than \(Self.maxDepth) levels") }
            var c = line.start + 1
            while c < line.end && bytes[c] == Self.space { c += 1 }
            if c < line.end && bytes[c] == Self.tab { throw fail(line.number, "tab character in indentation") }
            if c == line.end || bytes[c] == Self.hash {
                index += 1
                if index < lines.count && lines[index].indent > indent {
                    items.append(try parseNode(indent: lines[index].indent, depth: depth + 1))
                } else {
                    items.append(.null(line: line.number, origin: origin))
                }
            } else {
                // The item's content is a line of its own, indented to its column, so that
                // `- key: value` continues with keys aligned under `key`.
                let column = indent + (c - line.start)
                lines[index] = Line(number: line.number, indent: column, start: c, end: line.end)
                items.append(try parseNode(indent: column, depth: depth + 1))
            }
            if index < lines.count && lines[index].indent > indent {
                throw fail(lines[index].number, "unexpected indentation")
            }
        }
        return YAMLNode(.sequence(items), line: startLine, origin: origin)
    }

    // MARK: Keys

    /// When the line starts with `key:` (followed by a blank or the end), the key and the
    /// offset just past the colon.
    private func scanKey(_ line: Line) throws -> (String, Int)? {
        let first = bytes[line.start]
        if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
            let (text, after) = try parseQuoted(line.start, line.end, line: line.number)
            var k = after
            while k < line.end && Self.isBlank(bytes[k]) { k += 1 }
            if k < line.end && bytes[k] == Self.colon && (k + 1 == line.end || Self.isBlank(bytes[k + 1])) {
                return (text, k + 1)
            }
            return nil
        }
        if Self.indicators.contains(first) { return nil }
        var j = line.start
        while j < line.end {
            let c = bytes[j]
            if c == Self.colon && (j + 1 == line.end || Self.isBlank(bytes[j + 1])) {
                var e = j
                while e > line.start && Self.isBlank(bytes[e - 1]) { e -= 1 }
                if e == line.start { throw fail(line.number, "empty mapping key") }
                return (String(decoding: bytes[line.start..<e], as: UTF8.self), j + 1)
            }
            if c == Self.hash && j > line.start && Self.isBlank(bytes[j - 1]) { return nil }
            j += 1
        }
        return nil
    }

    /// Characters that cannot start a plain scalar (or key) in this subset.
    private static let indicators: Set<UInt8> = Set("[]{}&*!|>?%@`,".utf8)

    // MARK: Inline values

    /// A value written on one line: quoted or plain scalar, flow sequence, or `{}`.
    private func parseInline(_ start: Int, _ end: Int, line: Int) throws -> YAMLNode {
        let c = bytes[start]
        let next: UInt8? = start + 1 < end ? bytes[start + 1] : nil
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            let (text, after) = try parseQuoted(start, end, line: line)
            try expectLineEnd(after, end, line: line, what: "quoted scalar")
            return YAMLNode(.scalar(text, c == UInt8(ascii: "'") ? .singleQuoted : .doubleQuoted), line: line, origin: origin)
        case UInt8(ascii: "["):
            return try parseFlowSequence(start, end, line: line)
        case UInt8(ascii: "{"):
            var k = start + 1
            while k < end && Self.isBlank(bytes[k]) { k += 1 }
            guard k < end && bytes[k] == UInt8(ascii: "}") else {
                throw fail(line, "flow mappings with content are not supported (use a block mapping)")
            }
            try expectLineEnd(k + 1, end, line: line, what: "'{}'")
            return YAMLNode(.mapping([]), line: line, origin: origin)
        case Self.dash where next == nil || Self.isBlank(next!):
            throw fail(line, "a block sequence cannot start on the line of its key")
        case UInt8(ascii: "?") where next == nil || Self.isBlank(next!):
            throw fail(line, "complex mapping keys ('?') are not supported")
        default:
            if let message = Self.refusal(for: c) { throw fail(line, message) }
        }
        var e = start
        while e < end {
            if bytes[e] == Self.hash && e > start && Self.isBlank(bytes[e - 1]) { break }
            if bytes[e] == Self.colon && (e + 1 == end || Self.isBlank(bytes[e + 1])) {
                throw fail(line, "mapping values are not allowed here (quote the value if it contains ': ')")
            }
            e += 1
        }
        while e > start && Self.isBlank(bytes[e - 1]) { e -= 1 }
        return YAMLNode(.scalar(String(decoding: bytes[start..<e], as: UTF8.self), .plain), line: line, origin: origin)
    }

    /// Why a value cannot start with `c`, or nil when it can.
    private static func refusal(for c: UInt8) -> String? {
        switch c {
        case UInt8(ascii: "&"): return "anchors ('&') are not supported"
        case UInt8(ascii: "*"): return "aliases ('*') are not supported"
        case UInt8(ascii: "!"): return "tags ('!') are not supported"
        case UInt8(ascii: "|"), UInt8(ascii: ">"): return "block scalars ('|', '>') are not supported"
        case UInt8(ascii: "%"): return "directives ('%') are not supported"
        case UInt8(ascii: "@"), UInt8(ascii: "`"): return "reserved character '\(Character(Unicode.Scalar(c)))' cannot start a plain scalar"
        case UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ","): return "unexpected '\(Character(Unicode.Scalar(c)))'"
        default: return nil
        }
    }

    /// Only blanks or a comment may follow at `i`.
    private func expectLineEnd(_ i: Int, _ end: Int, line: Int, what: String) throws {
        var k = i
        while k < end && Self.isBlank(bytes[k]) { k += 1 }
        if k == end { return }
        if bytes[k] == Self.hash && k > i { return }
        throw fail(line, "unexpected text after \(what)")
    }

    private func parseFlowSequence(_ start: Int, _ end: Int, line: Int) throws -> YAMLNode {
        var items: [YAMLNode] = []
        var k = start + 1
        while true {
            while k < end && Self.isBlank(bytes[k]) { k += 1 }
            guard k < end else { throw fail(line, "unterminated flow sequence (it must close on the same line)") }
            let c = bytes[k]
            if c == UInt8(ascii: "]") {
                try expectLineEnd(k + 1, end, line: line, what: "flow sequence")
                return YAMLNode(.sequence(items), line: line, origin: origin)
            }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                let (text, after) = try parseQuoted(k, end, line: line)
                items.append(YAMLNode(.scalar(text, c == UInt8(ascii: "'") ? .singleQuoted : .doubleQuoted), line: line, origin: origin))
                k = after
            } else if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") {
                throw fail(line, "nested flow collections are not supported")
            } else if c == UInt8(ascii: ",") {
                throw fail(line, "empty entry in flow sequence")
            } else if c == Self.hash {
                throw fail(line, "unterminated flow sequence (it must close on the same line)")
            } else {
                if let message = Self.refusal(for: c) { throw fail(line, message) }
                let itemStart = k
                while k < end && bytes[k] != UInt8(ascii: ",") && bytes[k] != UInt8(ascii: "]") {
                    if bytes[k] == Self.hash && Self.isBlank(bytes[k - 1]) {
                        throw fail(line, "unterminated flow sequence (it must close on the same line)")
                    }
                    if bytes[k] == Self.colon && (k + 1 == end || Self.isBlank(bytes[k + 1]) || bytes[k + 1] == UInt8(ascii: ",") || bytes[k + 1] == UInt8(ascii: "]")) {
                        throw fail(line, "flow mappings are not supported")
                    }
                    if bytes[k] == UInt8(ascii: "[") || bytes[k] == UInt8(ascii: "{") || bytes[k] == UInt8(ascii: "}") {
                        throw fail(line, "nested flow collections are not supported")
                    }
                    k += 1
                }
                var e = k
                while e > itemStart && Self.isBlank(bytes[e - 1]) { e -= 1 }
                items.append(YAMLNode(.scalar(String(decoding: bytes[itemStart..<e], as: UTF8.self), .plain), line: line, origin: origin))
            }
            while k < end && Self.isBlank(bytes[k]) { k += 1 }
            guard k < end else { throw fail(line, "unterminated flow sequence (it must close on the same line)") }
            if bytes[k] == UInt8(ascii: ",") {
                k += 1
            } else if bytes[k] != UInt8(ascii: "]") {
                throw fail(line, "expected ',' or ']' in flow sequence")
            }
        }
    }

    // MARK: Quoted scalars

    /// Parses a quoted scalar starting at `start` (at the quote); returns its text and the
    /// offset after the closing quote. Quoted scalars must close on their line.
    private func parseQuoted(_ start: Int, _ end: Int, line: Int) throws -> (String, Int) {
        let quote = bytes[start]
        var out: [UInt8] = []
        var k = start + 1
        if quote == UInt8(ascii: "'") {
            while k < end {
                if bytes[k] == quote {
                    if k + 1 < end && bytes[k + 1] == quote {
                        out.append(quote)
                        k += 2
                        continue
                    }
                    return (String(decoding: out, as: UTF8.self), k + 1)
                }
                out.append(bytes[k])
                k += 1
            }
            throw fail(line, "unterminated single-quoted scalar (quoted scalars must close on the same line)")
        }
        while k < end {
            let c = bytes[k]
            if c == quote { return (String(decoding: out, as: UTF8.self), k + 1) }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                k += 1
                continue
            }
            guard k + 1 < end else { break }
            let e = bytes[k + 1]
            k += 2
            let simple: UInt8?
            switch e {
            case UInt8(ascii: "0"): simple = 0
            case UInt8(ascii: "a"): simple = 7
            case UInt8(ascii: "b"): simple = 8
            case UInt8(ascii: "t"), Self.tab: simple = 9
            case UInt8(ascii: "n"): simple = 10
            case UInt8(ascii: "v"): simple = 11
            case UInt8(ascii: "f"): simple = 12
            case UInt8(ascii: "r"): simple = 13
            case UInt8(ascii: "e"): simple = 27
            case Self.space, UInt8(ascii: "\""), UInt8(ascii: "/"), UInt8(ascii: "\\"): simple = e
            default: simple = nil
            }
            if let s = simple {
                out.append(s)
                continue
            }
            let digits: Int
            switch e {
            case UInt8(ascii: "x"): digits = 2
            case UInt8(ascii: "u"): digits = 4
            case UInt8(ascii: "U"): digits = 8
            case UInt8(ascii: "N"): out += [0xC2, 0x85]; continue
            case UInt8(ascii: "_"): out += [0xC2, 0xA0]; continue
            case UInt8(ascii: "L"): out += [0xE2, 0x80, 0xA8]; continue
            case UInt8(ascii: "P"): out += [0xE2, 0x80, 0xA9]; continue
            default:
                let shown = e < 0x80 && e >= 0x20 ? String(Character(Unicode.Scalar(e))) : String(format: "\\x%02X", Int(e))
                throw fail(line, "invalid escape '\\\(shown)' in double-quoted scalar")
            }
            guard k + digits <= end else { throw fail(line, "truncated escape in double-quoted scalar") }
            var value: UInt32 = 0
            for d in bytes[k..<(k + digits)] {
                guard let h = Self.hexValue(d) else { throw fail(line, "invalid hex digit in escape") }
                value = value << 4 | h
            }
            k += digits
            guard let scalar = Unicode.Scalar(value) else {
                throw fail(line, String(format: "escape names an invalid code point U+%X", Int(value)))
            }
            out += Array(String(Character(scalar)).utf8)
        }
        throw fail(line, "unterminated double-quoted scalar (quoted scalars must close on the same line)")
    }

    private static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(c - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}
