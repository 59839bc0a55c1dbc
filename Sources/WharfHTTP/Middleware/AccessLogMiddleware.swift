import Foundation

/// Logs one info line per request: method, path (without the query string, which may
/// carry secrets such as `_state` tokens), status, response bytes, duration, remote
/// address, request id, user agent, and the authenticated user (`auth.user.name`). At `trace` level the request's headers are added
/// as `http.request.header.<name>`, with credentials masked (``isSensitiveHeader(_:)``).
///
/// ```swift
/// let handler = MiddlewareChain.build([AccessLogMiddleware(logger: log)], handler: router.handle)
/// // time="..." level=info msg="response completed" http.request.method=GET http.request.uri=/v2/ ...
/// ```
public struct AccessLogMiddleware: HTTPMiddleware {
    /// Where the lines go.
    public let logger: Logger

    /// A middleware logging to `logger` at info level.
    public init(logger: Logger) { self.logger = logger }

    /// Calls `next` and logs the outcome (a thrown error is logged as 413 or 500, then rethrown).
    public func respond(to request: HTTPRequest, next: HTTPHandler) async throws -> HTTPResponse {
        let start = DispatchTime.now()
        do {
            let response = try await next(request)
            log(request, status: response.status, bytes: response.body.knownLength.map(String.init) ?? "stream", start: start)
            return response
        } catch {
            let status: Int
            if case RequestBodyError.tooLarge = error { status = 413 } else { status = 500 }
            log(request, status: status, bytes: "0", start: start)
            throw error
        }
    }

    private func log(_ request: HTTPRequest, status: Int, bytes: String, start: DispatchTime) {
        guard logger.enabled(.info) else { return }
        let nanoseconds = DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds
        var fields: [(String, String)] = [
            ("http.request.method", request.method),
            ("http.request.uri", request.path),
            ("http.response.status", String(status)),
            ("http.response.written", bytes),
            ("http.response.duration", Self.seconds(nanoseconds)),
            ("http.request.remoteaddr", request.remoteAddress),
            ("http.request.id", request.requestID),
            ("http.request.useragent", request.headers["User-Agent"] ?? ""),
            ("http.request.proto", request.version.description),
        ]
        if let user = request.attributes[HTTPRequest.userAttribute] { fields.append(("auth.user.name", user)) }
        if logger.enabled(.trace) {
            for (name, value) in request.headers {
                let key = name.lowercased()
                fields.append(("http.request.header." + key, Self.isSensitiveHeader(key) ? "*****" : Self.withoutQuery(value)))
            }
        }
        logger.log(.info, "response completed", fields: fields)
    }

    /// `nanoseconds` as seconds with six decimals and an `s` (`0.000187s`), as
    /// `String(format: "%.6fs")` wrote it, without Foundation's formatter on every request.
    static func seconds(_ nanoseconds: UInt64) -> String {
        let micros = (nanoseconds + 500) / 1000
        let fraction = String(micros % 1_000_000)
        return String(micros / 1_000_000) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction + "s"
    }

    /// A header value with any URL query removed (`Referer` may carry a presigned URL's
    /// signature or an upload's `_state` token).
    static func withoutQuery(_ value: String) -> String {
        guard let q = value.firstIndex(of: "?") else { return value }
        return String(value[..<q]) + "?*****"
    }

    /// True for headers whose value is a credential and is masked in logs: `Authorization`,
    /// `Proxy-Authorization`, `Cookie`, and any name mentioning a token, secret, password,
    /// signature, credential or key (`X-Registry-Auth`, `X-Amz-Security-Token`, ...).
    public static func isSensitiveHeader(_ name: String) -> Bool {
        let n = name.lowercased()
        return ["auth", "cookie", "token", "secret", "password", "signature", "credential", "key"].contains { n.contains($0) }
    }
}
