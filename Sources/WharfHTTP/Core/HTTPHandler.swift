/// Answers one request. Handlers are async: they may read the body and call storage.
/// A thrown error becomes a 500 (logged) unless middleware maps it first.
public typealias HTTPHandler = @Sendable (HTTPRequest) async throws -> HTTPResponse

/// A step in front of the handler: access log, metrics, limits, auth.
///
/// ```swift
/// struct RequestIDHeader: HTTPMiddleware {
///     func respond(to request: HTTPRequest, next: HTTPHandler) async throws -> HTTPResponse {
///         var response = try await next(request)
///         response.headers.set("X-Request-Id", request.requestID)
///         return response
///     }
/// }
/// ```
public protocol HTTPMiddleware: Sendable {
    func respond(to request: HTTPRequest, next: HTTPHandler) async throws -> HTTPResponse
}

/// Composes middleware around a handler: the first middleware is the outermost.
public enum MiddlewareChain {
    public static func build(_ middleware: [HTTPMiddleware], handler: @escaping HTTPHandler) -> HTTPHandler {
        var h = handler
        for m in middleware.reversed() {
            let next = h
            h = { request in try await m.respond(to: request, next: next) }
        }
        return h
    }
}
