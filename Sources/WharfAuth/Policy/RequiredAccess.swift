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
        for marker in ["/blobs/", "/manifests/", "/tags/", "/referrers/"] {
            guard let r = rest.range(of: marker, options: .backwards) else { continue }
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
}
