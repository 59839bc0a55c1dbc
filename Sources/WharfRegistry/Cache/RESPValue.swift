import Foundation

/// A Redis (RESP2) reply: simple string, error, integer, bulk string (nil: the null bulk)
/// or array (nil: the null array).
public enum RESPValue: Equatable, Sendable {
    /// `+OK`.
    case simple(String)
    /// `-ERR ...`: the command failed (the connection is fine).
    case error(String)
    /// `:42`.
    case integer(Int64)
    /// `$n` bytes; nil for `$-1`.
    case bulk([UInt8]?)
    /// `*n` replies; nil for `*-1`.
    case array([RESPValue]?)

    /// The bulk or simple string as text.
    public var text: String? {
        switch self {
        case .simple(let s): return s
        case .bulk(let b?): return String(decoding: b, as: UTF8.self)
        default: return nil
        }
    }
}

/// Why a reply could not be parsed.
public struct RESPError: Error, Equatable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    /// An error saying `message`.
    public init(_ message: String) { self.message = message }
    /// `RESP: <message>`.
    public var description: String { "RESP: \(message)" }
}

/// Parses RESP2 replies out of a byte buffer that fills as the socket is read, and encodes
/// commands. Bounded: bulk strings up to ``maxBulkLength``, arrays up to ``maxArrayLength``
/// items, nesting up to ``maxDepth``; anything else is an error, never a crash.
public enum RESP {
    /// Largest bulk string accepted (64 MiB).
    public static let maxBulkLength = 64 << 20
    /// Most items in one array.
    public static let maxArrayLength = 1 << 20
    /// Deepest nesting of arrays.
    public static let maxDepth = 16

    /// One reply starting at `start`: the value and the index past it, or nil when the
    /// buffer ends before the reply does.
    public static func parse(_ bytes: [UInt8], from start: Int = 0) throws -> (RESPValue, Int)? {
        try parse(bytes, start, depth: 0)
    }

    private static func parse(_ b: [UInt8], _ start: Int, depth: Int) throws -> (RESPValue, Int)? {
        guard depth <= maxDepth else { throw RESPError("replies nested deeper than \(maxDepth)") }
        guard start < b.count else { return nil }
        guard let (line, next) = try readLine(b, start + 1) else { return nil }
        switch b[start] {
        case UInt8(ascii: "+"): return (.simple(line), next)
        case UInt8(ascii: "-"): return (.error(line), next)
        case UInt8(ascii: ":"):
            guard let n = Int64(line) else { throw RESPError("bad integer '\(line.prefix(32))'") }
            return (.integer(n), next)
        case UInt8(ascii: "$"):
            guard let n = Int(line), n >= -1 else { throw RESPError("bad bulk length '\(line.prefix(32))'") }
            if n == -1 { return (.bulk(nil), next) }
            guard n <= maxBulkLength else { throw RESPError("bulk string of \(n) bytes is too large") }
            guard b.count - next >= n + 2 else { return nil }
            guard b[next + n] == 13, b[next + n + 1] == 10 else { throw RESPError("bulk string not followed by CRLF") }
            return (.bulk(Array(b[next..<(next + n)])), next + n + 2)
        case UInt8(ascii: "*"):
            guard let n = Int(line), n >= -1 else { throw RESPError("bad array length '\(line.prefix(32))'") }
            if n == -1 { return (.array(nil), next) }
            guard n <= maxArrayLength else { throw RESPError("array of \(n) items is too large") }
            var items: [RESPValue] = []
            var at = next
            for _ in 0..<n {
                guard let (item, after) = try parse(b, at, depth: depth + 1) else { return nil }
                items.append(item)
                at = after
            }
            return (.array(items), at)
        default:
            throw RESPError("unknown reply type byte \(b[start])")
        }
    }

    /// The text up to CRLF from `start` and the index past the CRLF; nil when no CRLF yet.
    private static func readLine(_ b: [UInt8], _ start: Int) throws -> (String, Int)? {
        var i = start
        while i + 1 < b.count {
            if b[i] == 13 {
                guard b[i + 1] == 10 else { throw RESPError("CR not followed by LF") }
                return (String(decoding: b[start..<i], as: UTF8.self), i + 2)
            }
            if i - start > 4096 { throw RESPError("line longer than 4096 bytes") }
            i += 1
        }
        if b.count - start > 4096 { throw RESPError("line longer than 4096 bytes") }
        return nil
    }

    /// A command as a RESP array of bulk strings.
    public static func encode(_ command: [String]) -> [UInt8] {
        var out = Array("*\(command.count)\r\n".utf8)
        for arg in command {
            let bytes = Array(arg.utf8)
            out += Array("$\(bytes.count)\r\n".utf8)
            out += bytes
            out += [13, 10]
        }
        return out
    }
}
