import Foundation

/// Logs one info line per request once its response has finished or failed: method, path
/// (without the query string, which may carry secrets such as `_state` tokens), status,
/// body bytes actually written, the real duration, how the response ended (`complete`,
/// `client gone`, `error`), the authenticated user, remote address, request id and user
/// agent. At `trace` level the request's headers are added as
/// `http.request.header.<name>`, with credentials masked (``isSensitiveHeader(_:)``,
/// ``maskedHeaderValue(_:)``). In JSON format status, bytes and duration (seconds) are numbers.
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

    /// The fields written as JSON numbers in JSON format.
    static let numericFields: Set<String> = ["http.response.status", "http.response.written", "http.response.duration"]

    /// Calls `next`; the line is written when the server reports the response's outcome.
    public func respond(to request: HTTPRequest, next: HTTPHandler) async throws -> HTTPResponse {
        guard logger.enabled(.info) else { return try await next(request) }
        let start = DispatchTime.now()
        let logger = self.logger
        request.onResponseFinished { outcome in Self.log(logger, request, outcome, start: start) }
        return try await next(request)
    }

    private static func log(_ logger: Logger, _ request: HTTPRequest, _ outcome: ResponseOutcome, start: DispatchTime) {
        let nanoseconds = outcome.finishedAt.uptimeNanoseconds &- start.uptimeNanoseconds
        let json = logger.format == .json
        var fields: [(String, String)] = [
            ("http.request.method", request.method),
            ("http.request.uri", request.path),
            ("http.response.status", String(outcome.status)),
            ("http.response.written", String(outcome.bodyBytesWritten)),
            ("http.response.duration", json ? String(seconds(nanoseconds).dropLast()) : seconds(nanoseconds)),
            ("http.response.ending", outcome.ending.rawValue),
            ("auth.user.name", request.attributes[HTTPRequest.userAttribute] ?? ""),
            ("http.request.remoteaddr", request.remoteAddress),
            ("http.request.id", request.requestID),
            ("http.request.useragent", request.headers["User-Agent"] ?? ""),
            ("http.request.proto", request.version.description),
        ]
        if logger.enabled(.trace) {
            for (name, value) in request.headers {
                let key = name.lowercased()
                fields.append(("http.request.header." + key, isSensitiveHeader(key) ? "*****" : maskedHeaderValue(value)))
            }
        }
        logger.log(.info, "response completed", fields: fields, numericKeys: numericFields)
    }

    /// `nanoseconds` as seconds with six decimals and an `s` (`0.000187s`), as
    /// `String(format: "%.6fs")` wrote it, without Foundation's formatter on every request.
    static func seconds(_ nanoseconds: UInt64) -> String {
        let micros = (nanoseconds + 500) / 1000
        let fraction = String(micros % 1_000_000)
        return String(micros / 1_000_000) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction + "s"
    }

    /// A header value with any URL query removed (`Referer` may carry a presigned URL's
    /// signature or an upload's `_state` token) and any URL userinfo masked
    /// (`http://u:SECRET@h/` becomes `http://*****@h/`).
    public static func maskedHeaderValue(_ value: String) -> String {
        var out = value
        if let q = out.firstIndex(of: "?") { out = String(out[..<q]) + "?*****" }
        guard out.contains("@"), out.contains("://") else { return out }
        let range = NSRange(out.startIndex..., in: out)
        return userinfo.stringByReplacingMatches(in: out, range: range, withTemplate: "$1*****@")
    }

    /// `scheme://userinfo@`: what precedes the host, up to the first `/`, `?`, `#` or space.
    private static let userinfo = try! NSRegularExpression(pattern: "(://)[^/?#\\s@]*@")

    /// True for headers whose value is a credential and is masked in logs: `Authorization`,
    /// `Proxy-Authorization`, `X-Registry-Auth`, `Cookie`, and any name mentioning a token,
    /// secret, password (`passw`), signature, credential or key (`X-Api-Key`, `X-Amz-Security-Token`, ...).
    public static func isSensitiveHeader(_ name: String) -> Bool {
        let n = name.lowercased()
        return ["auth", "cookie", "token", "secret", "passw", "signature", "credential", "key"].contains { n.contains($0) }
    }
}
