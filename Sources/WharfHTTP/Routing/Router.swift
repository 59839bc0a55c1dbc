/// Dispatches requests by method and path pattern.
///
/// A pattern is a path whose segments are literals, `{param}` (exactly one segment) or
/// `{param*}` (one or more segments, slashes included, matched so that the rest of the
/// pattern still matches: `/v2/{name*}/blobs/{digest}` takes `a/b/c` as the name of
/// `/v2/a/b/c/blobs/sha256:...`).
///
/// ```swift
/// let router = Router()
/// router.add("GET", "/v2/{name*}/manifests/{reference}") { req in ... }
/// router.add("PATCH", "/v2/{name*}/blobs/uploads/{uuid}", maxBodySize: nil) { req in ... }
/// let handler: HTTPHandler = router.handle
/// ```
/// A path that matches a pattern under another method answers ``methodNotAllowed``;
/// no match answers ``notFound``. HEAD falls back to the GET route when none is registered
/// (the codec sends no body for HEAD).
public final class Router: @unchecked Sendable {
    enum Segment: Equatable {
        case literal(String)
        case param(String)
        case rest(String)
    }

    struct Route {
        let method: String
        let segments: [Segment]
        let maxBodySize: Int64?
        let handler: HTTPHandler
    }

    private var routes: [Route] = []

    /// Answers requests no pattern matches.
    public var notFound: HTTPHandler = { _ in .text(404, "404 page not found\n") }
    /// Answers requests whose path matches only under other methods.
    public var methodNotAllowed: HTTPHandler = { _ in .text(405, "method not allowed\n") }

    public init() {}

    /// Registers `handler` for `method` and `pattern`. `maxBodySize` caps the request body
    /// (nil: no cap beyond the server's default).
    public func add(_ method: String, _ pattern: String, maxBodySize: Int64? = nil, _ handler: @escaping HTTPHandler) {
        routes.append(Route(method: method.uppercased(), segments: Self.parse(pattern), maxBodySize: maxBodySize, handler: handler))
    }

    /// Routes `request`: fills ``HTTPRequest/pathParameters`` and the body limit, then calls the handler.
    public func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        var pathMatched = false
        var fallback: (Route, [String: String])?
        for route in routes {
            guard let params = Self.match(route.segments[...], parts[...]) else { continue }
            if route.method == request.method {
                return try await run(route, params, request)
            }
            pathMatched = true
            if request.method == "HEAD" && route.method == "GET" && fallback == nil { fallback = (route, params) }
        }
        if let (route, params) = fallback { return try await run(route, params, request) }
        return try await (pathMatched ? methodNotAllowed : notFound)(request)
    }

    private func run(_ route: Route, _ params: [String: String], _ request: HTTPRequest) async throws -> HTTPResponse {
        request.pathParameters = params
        if let limit = route.maxBodySize { request.body.maxLength = limit }
        return try await route.handler(request)
    }

    static func parse(_ pattern: String) -> [Segment] {
        pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { s in
            if s.hasPrefix("{") && s.hasSuffix("*}") { return .rest(String(s.dropFirst().dropLast(2))) }
            if s.hasPrefix("{") && s.hasSuffix("}") { return .param(String(s.dropFirst().dropLast())) }
            return .literal(String(s))
        }
    }

    static func match(_ pattern: ArraySlice<Segment>, _ parts: ArraySlice<String>) -> [String: String]? {
        guard let first = pattern.first else { return parts.isEmpty ? [:] : nil }
        switch first {
        case .literal(let lit):
            guard parts.first == lit else { return nil }
            return match(pattern.dropFirst(), parts.dropFirst())
        case .param(let name):
            guard let p = parts.first, !p.isEmpty else { return nil }
            guard var rest = match(pattern.dropFirst(), parts.dropFirst()) else { return nil }
            rest[name] = p
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
                    rest[name] = captured.joined(separator: "/")
                    return rest
                }
            }
            return nil
        }
    }
}
