/// Dispatches requests by method and ``PathPattern``: a small router for servers without
/// a route table of their own (the registry's routes are WharfAPI's `RouteTable`).
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
    struct Route {
        let method: String
        let pattern: PathPattern
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
        routes.append(Route(method: method.uppercased(), pattern: PathPattern(pattern), maxBodySize: maxBodySize, handler: handler))
    }

    /// Routes `request`: fills ``HTTPRequest/pathParameters`` and the body limit, then calls the handler.
    public func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        let parts = PathPattern.split(request.path)
        var pathMatched = false
        var fallback: (Route, [String: String])?
        for route in routes {
            guard let params = route.pattern.match(parts) else { continue }
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
}
