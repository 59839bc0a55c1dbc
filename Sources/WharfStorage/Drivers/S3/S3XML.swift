import Foundation

/// Just enough XML for S3's answers: the text of elements by name, and the inner XML of
/// repeated blocks (`<Contents>`, `<CommonPrefixes>`, `<Part>`). S3 answers are flat,
/// namespace-free on the element names we read, and entity-escaped.
enum S3XML {
    /// Inner texts of every `<tag>…</tag>` in `xml`, entity-decoded.
    static func all(_ tag: String, in xml: String) -> [String] {
        blocks(tag, in: xml).map(decode)
    }

    /// The first `<tag>` text, or nil.
    static func first(_ tag: String, in xml: String) -> String? {
        all(tag, in: xml).first
    }

    /// Raw inner XML of every `<tag>…</tag>`.
    static func blocks(_ tag: String, in xml: String) -> [String] {
        var out: [String] = []
        let open = "<\(tag)>", close = "</\(tag)>"
        var rest = xml[...]
        while let start = rest.range(of: open) {
            guard let end = rest.range(of: close, range: start.upperBound..<rest.endIndex) else { break }
            out.append(String(rest[start.upperBound..<end.lowerBound]))
            rest = rest[end.upperBound...]
        }
        return out
    }

    static func decode(_ s: String) -> String {
        guard s.contains("&") else { return s }
        return s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
