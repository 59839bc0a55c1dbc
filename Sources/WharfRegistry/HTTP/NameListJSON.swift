import Foundation

/// The JSON bodies of the tags list and the catalog, written directly as bytes:
/// `{"name":"a/b","tags":["v1","v2"]}` and `{"repositories":["a","b"]}`, keys sorted and
/// `/` unescaped as `JSONSerialization` with `.sortedKeys, .withoutEscapingSlashes` wrote
/// them, without bridging every string to `NSString` (a quarter of a tags/list request's
/// CPU before). Any string encodes correctly, whatever the name rules allow.
enum NameListJSON {
    /// `{"name":<name>,"tags":[...]}`.
    static func tags(name: String, tags: [String]) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(32 + name.utf8.count + tags.reduce(0) { $0 + $1.utf8.count + 3 })
        out.append(contentsOf: #"{"name":"#.utf8)
        appendString(name, to: &out)
        out.append(contentsOf: #","tags":["#.utf8)
        appendList(tags, to: &out)
        out.append(contentsOf: "]}".utf8)
        return Data(out)
    }

    /// `{"repositories":[...]}`.
    static func repositories(_ names: [String]) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(24 + names.reduce(0) { $0 + $1.utf8.count + 3 })
        out.append(contentsOf: #"{"repositories":["#.utf8)
        appendList(names, to: &out)
        out.append(contentsOf: "]}".utf8)
        return Data(out)
    }

    private static func appendList(_ values: [String], to out: inout [UInt8]) {
        var first = true
        for v in values {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            appendString(v, to: &out)
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// A JSON string literal: `"` and `\` escaped, control characters as `\n`-style or
    /// `\u00XX` escapes, everything else (UTF-8 included) as is.
    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        let plain = s.withUTF8 { bytes -> Bool in
            // Names are plain almost always: copy them whole.
            guard !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if plain {
            out.append(UInt8(ascii: "\""))
            return
        }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x00..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
