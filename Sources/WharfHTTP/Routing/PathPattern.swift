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
    /// The pattern as written, e.g. `/v2/{name*}/manifests/{reference}`.
    public let description: String

    /// Parses `pattern` (a path whose segments may be `{param}` or `{param*}`).
    public init(_ pattern: String) {
        description = pattern
        segments = pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { s in
            if s.hasPrefix("{") && s.hasSuffix("*}") { return .rest(String(s.dropFirst().dropLast(2))) }
            if s.hasPrefix("{") && s.hasSuffix("}") { return .param(String(s.dropFirst().dropLast())) }
            return .literal(String(s))
        }
    }

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
    public static func split(_ path: String) -> ArraySlice<Substring> {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
    }

    /// The captured parameters when `parts` (from ``split(_:)``) match, else nil.
    public func match(_ parts: ArraySlice<Substring>) -> [String: String]? {
        Self.match(segments[...], parts)
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
