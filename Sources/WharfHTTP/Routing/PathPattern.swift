/// A route's path pattern: segments that are literals, `{param}` (exactly one non-empty
/// segment) or `{param*}` (one or more non-empty segments, slashes included, matched so
/// that the rest of the pattern still matches: `/v2/{name*}/blobs/{digest}` takes `a/b/c`
/// as the name of `/v2/a/b/c/blobs/sha256:...`, the longest capture first).
///
/// A request's path is split once (``split(_:)``) and the parts are matched against each
/// pattern in turn, so routing costs one split per request whatever the number of routes.
public struct PathPattern: Sendable, Equatable, CustomStringConvertible {
    enum Segment: Equatable, Sendable {
        case literal(String)
        case param(String)
        case rest(String)
    }

    let segments: [Segment]
    /// Each segment's literal bytes (empty for parameters), compared without building strings.
    private let literalBytes: [[UInt8]]
    /// The index of the only `{x*}` segment; nil when there is none or more than one.
    private let singleRest: Int?
    /// True when the pattern has more than one `{x*}` (matched by the general search).
    private let manyRests: Bool
    /// The pattern as written, e.g. `/v2/{name*}/manifests/{reference}`.
    public let description: String

    /// Parses `pattern` (a path whose segments may be `{param}` or `{param*}`).
    public init(_ pattern: String) {
        description = pattern
        let segments: [Segment] = pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { s in
            if s.hasPrefix("{") && s.hasSuffix("*}") { return .rest(String(s.dropFirst().dropLast(2))) }
            if s.hasPrefix("{") && s.hasSuffix("}") { return .param(String(s.dropFirst().dropLast())) }
            return .literal(String(s))
        }
        self.segments = segments
        literalBytes = segments.map { if case .literal(let l) = $0 { return Array(l.utf8) } else { return [] } }
        let rests = segments.indices.filter { if case .rest = segments[$0] { return true } else { return false } }
        singleRest = rests.count == 1 ? rests[0] : nil
        manyRests = rests.count > 1
    }

    public static func == (a: PathPattern, b: PathPattern) -> Bool { a.segments == b.segments }

    /// The names of the pattern's parameters, in order.
    public var parameterNames: [String] {
        segments.compactMap {
            switch $0 {
            case .literal: return nil
            case .param(let n), .rest(let n): return n
            }
        }
    }

    /// The first segment when it is a literal (`v2` for `/v2/...`), else nil.
    public var leadingLiteral: String? {
        if case .literal(let l)? = segments.first { return l }
        return nil
    }

    /// `path` cut at its slashes, the part before the leading `/` dropped: the parts
    /// ``match(_:)`` takes. The parts are views into `path`; nothing is copied.
    /// Splits by UTF-8 bytes: `String.split` walks Characters (grapheme breaking), which
    /// was most of the cost of routing.
    public static func split(_ path: String) -> ArraySlice<Substring> {
        var parts: [Substring] = []
        parts.reserveCapacity(8)
        let bytes = path.utf8
        var start: String.Index? = nil
        var i = bytes.startIndex
        while i != bytes.endIndex {
            if bytes[i] == UInt8(ascii: "/") {
                if let start { parts.append(path[start..<i]) }
                start = bytes.index(after: i)
            }
            bytes.formIndex(after: &i)
        }
        if let start { parts.append(path[start..<bytes.endIndex]) }
        return parts[...]
    }

    /// The captured parameters when `parts` (from ``split(_:)``) match, else nil.
    public func match(_ parts: ArraySlice<Substring>) -> [String: String]? {
        if manyRests { return Self.match(segments[...], parts) }
        // At most one `{x*}`: every other segment takes exactly one part, so the capture is
        // what lies between the head and the tail; check the cheap segments first and build
        // the parameters only on success (most routes tried for a request do not match).
        let count = segments.count
        let restCount = parts.count - (count - 1)
        if singleRest == nil ? parts.count != count : restCount < 1 { return nil }
        var i = parts.startIndex
        for s in 0..<count {
            if s == singleRest {
                let end = i + restCount
                for j in i..<end where parts[j].isEmpty { return nil }
                i = end
                continue
            }
            let part = parts[i]
            let literal = literalBytes[s]
            if literal.isEmpty {
                if case .literal = segments[s] { guard part.isEmpty else { return nil } } else if part.isEmpty { return nil }
            } else if part.utf8.count != literal.count || !part.utf8.elementsEqual(literal) {
                return nil
            }
            i += 1
        }
        var params: [String: String] = [:]
        i = parts.startIndex
        for s in 0..<count {
            switch segments[s] {
            case .literal:
                i += 1
            case .param(let name):
                params[name] = String(parts[i])
                i += 1
            case .rest(let name):
                // The parts are views into one path: the capture is its span, slashes included.
                let first = parts[i], last = parts[i + restCount - 1]
                params[name] = String(first.base[first.startIndex..<last.endIndex])
                i += restCount
            }
        }
        return params
    }

    static func match(_ pattern: ArraySlice<Segment>, _ parts: ArraySlice<Substring>) -> [String: String]? {
        guard let first = pattern.first else { return parts.isEmpty ? [:] : nil }
        switch first {
        case .literal(let lit):
            guard let p = parts.first, p == lit else { return nil }
            return match(pattern.dropFirst(), parts.dropFirst())
        case .param(let name):
            guard let p = parts.first, !p.isEmpty else { return nil }
            guard var rest = match(pattern.dropFirst(), parts.dropFirst()) else { return nil }
            rest[name] = String(p)
            return rest
        case .rest(let name):
            // Prefer the longest capture so a name may itself contain segments like "blobs".
            let maxTake = parts.count - (pattern.count - 1)
            guard maxTake >= 1 else { return nil }
            // Without another `{x*}` after it, every later segment takes exactly one part,
            // so only the longest capture can match.
            let variable = pattern.dropFirst().contains { if case .rest = $0 { return true } else { return false } }
            for take in stride(from: maxTake, through: variable ? 1 : maxTake, by: -1) {
                let captured = parts.prefix(take)
                if captured.contains(where: \.isEmpty) { continue }
                if var rest = match(pattern.dropFirst(), parts.dropFirst(take)) {
                    // The parts are views into one path: the capture is its span, slashes included.
                    let first = captured.first!, last = captured.last!
                    rest[name] = String(first.base[first.startIndex..<last.endIndex])
                    return rest
                }
            }
            return nil
        }
    }
}
