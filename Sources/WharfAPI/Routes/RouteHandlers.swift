import WharfHTTP

/// Handlers bound to a ``RouteTable``'s routes by id, and the request path through them:
/// match once, then the middleware, then the matched route's handler.
///
/// Binding a handler to a route the table does not define throws, so a route without an
/// access rule cannot be served. A table route without a handler answers ``notFound``
/// (the metrics route when metrics are off).
///
/// ```swift
/// let routes = RouteHandlers(table: .standard)
/// try routes.bind(.tagsList) { request in ... }
/// let handler = routes.handler(middleware: [accessLog, auth])
/// ```
public final class RouteHandlers: @unchecked Sendable {
    /// A bound handler and its body cap.
    struct Binding {
        let maxBodySize: Int64?
        let handler: HTTPHandler
    }

    /// The routes.
    public let table: RouteTable
    private var bindings: [RouteID: Binding] = [:]

    /// Answers requests no pattern matches (and routes without a handler).
    public var notFound: HTTPHandler = { _ in .text(404, "404 page not found\n") }
    /// Answers requests whose path matches only under other methods.
    public var methodNotAllowed: HTTPHandler = { _ in .text(405, "method not allowed\n") }

    /// Bindings over `table`.
    public init(table: RouteTable) { self.table = table }

    /// Serves route `id` with `handler`; `maxBodySize` caps the request body (nil: the
    /// server's default). Throws when the table does not define `id` or it is bound
    /// already. Call before serving.
    public func bind(_ id: RouteID, maxBodySize: Int64? = nil, _ handler: @escaping HTTPHandler) throws {
        guard table[id] != nil else { throw RouteTableError.undefinedRoute(id) }
        guard bindings[id] == nil else { throw RouteTableError.duplicateHandler(id) }
        bindings[id] = Binding(maxBodySize: maxBodySize, handler: handler)
    }

    /// True when `id` has a handler.
    public func isBound(_ id: RouteID) -> Bool { bindings[id] != nil }

    /// Calls the handler of the route attached to `request` (matching it now if nothing
    /// has): the bound handler, ``methodNotAllowed`` or ``notFound``.
    public func dispatch(_ request: HTTPRequest) async throws -> HTTPResponse {
        let match = request.apiRoute ?? table.attach(to: request)
        guard let route = match.route, let binding = bindings[route.id] else { return try await notFound(request) }
        guard match.outcome == .found else { return try await methodNotAllowed(request) }
        if let limit = binding.maxBodySize { request.body.maxLength = limit }
        return try await binding.handler(request)
    }

    /// The handler for the server: matches the route once and attaches it, then runs
    /// `middleware` (outermost first) around `final` (by default ``dispatch(_:)``).
    public func handler(middleware: [HTTPMiddleware], final: HTTPHandler? = nil) -> HTTPHandler {
        let table = self.table
        let inner = MiddlewareChain.build(middleware, handler: final ?? { [self] in try await self.dispatch($0) })
        return { request in
            if request.route == nil { table.attach(to: request) }
            return try await inner(request)
        }
    }
}
