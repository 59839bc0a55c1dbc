import Foundation

/// Adds the operator's `http.headers` to every response (`X-Content-Type-Options:
/// nosniff`, `Strict-Transport-Security`, ...). As in distribution, they are a default:
/// a header the handler set itself is left as it is.
public struct ResponseHeadersMiddleware: HTTPMiddleware {
    /// Name → values, each value one header line.
    public let headers: [(String, [String])]

    /// A middleware adding `headers` (name → values).
    public init(headers: [String: [String]]) {
        self.headers = headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    public func respond(to request: HTTPRequest, next: HTTPHandler) async throws -> HTTPResponse {
        var response = try await next(request)
        for (name, values) in headers where !response.headers.contains(name) {
            for value in values { response.headers.add(name, value) }
        }
        return response
    }
}
