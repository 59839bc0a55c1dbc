import Foundation

/// What a request needs from the policy, worked out from its method and path before it
/// is routed.
public enum RequiredAccess: Equatable, Sendable {
    /// Not protected (`/healthz`, the token endpoint, paths outside the API).
    case none
    /// Any authenticated caller, or an anonymous token (`GET /v2/`, unknown `/v2` paths).
    case authenticated
    /// `verb` on the repository `name`.
    case repository(name: String, verb: AccessVerb)
    /// A registry-wide verb: `catalog` or `metrics`.
    case registry(AccessVerb)

    /// Classifies a request. Repository paths are `/v2/<name>/(blobs|manifests|tags|referrers)/...`;
    /// the name is everything before the last such marker, as the router's `{name*}` matches it.
    public static func of(method: String, path: String) -> RequiredAccess {
        if path == "/extensions/v2/metrics" { return .registry(.metrics) }
        guard path == "/v2" || path.hasPrefix("/v2/") else { return .none }
        if path == "/v2/_catalog" { return .registry(.catalog) }
        let rest = path.dropFirst(4)
        var best: (name: Substring, kind: String, tail: Substring)? = nil
        for (marker, bytes) in markers {
            guard let r = lastRange(of: bytes, in: rest) else { continue }
            if best == nil || r.lowerBound > best!.name.endIndex {
                best = (rest[..<r.lowerBound], marker, rest[r.upperBound...])
            }
        }
        guard let match = best, !match.name.isEmpty else { return .authenticated }
        let name = String(match.name)
        let reads = method == "GET" || method == "HEAD"
        switch match.kind {
        case "/blobs/":
            if match.tail.hasPrefix("uploads") { return .repository(name: name, verb: .push) }
            if method == "DELETE" { return .repository(name: name, verb: .delete) }
            return .repository(name: name, verb: reads ? .pull : .push)
        case "/manifests/":
            if method == "DELETE" { return .repository(name: name, verb: .delete) }
            return .repository(name: name, verb: reads ? .pull : .push)
        default:
            return .repository(name: name, verb: reads ? .pull : .push)
        }
    }

    private static let markers = ["/blobs/", "/manifests/", "/tags/", "/referrers/"].map { ($0, Array($0.utf8)) }

    /// The last occurrence of the ASCII `marker` in `s`, by bytes (this runs on every
    /// request; Foundation's `range(of:options: .backwards)` was most of its cost).
    static func lastRange(of needle: [UInt8], in s: Substring) -> Range<Substring.Index>? {
        let found: Int?? = s.utf8.withContiguousStorageIfAvailable { hay -> Int? in
            guard hay.count >= needle.count else { return nil }
            var i = hay.count - needle.count
            while i >= 0 {
                if hay[i] == needle[0] && hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
                i -= 1
            }
            return nil
        }
        let start: Substring.Index
        if let found {
            guard let offset = found else { return nil }
            start = s.utf8.index(s.utf8.startIndex, offsetBy: offset)
        } else {
            // Not contiguous (a bridged string): the generic walk.
            let hay = s.utf8
            guard hay.count >= needle.count else { return nil }
            var i = hay.index(hay.endIndex, offsetBy: -needle.count)
            while !hay[i...].starts(with: needle) {
                if i == hay.startIndex { return nil }
                hay.formIndex(before: &i)
            }
            start = i
        }
        return start..<s.utf8.index(start, offsetBy: needle.count)
    }
}
