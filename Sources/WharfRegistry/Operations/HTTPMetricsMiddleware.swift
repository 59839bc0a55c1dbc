import Foundation
import WharfHTTP
import WharfMetrics

/// Counts every request into the `imageregistry_http_*` metrics from what the server
/// reports when the response has finished or failed: in flight until then; requests by
/// code and lower-case method; the real duration by method; time until the head was
/// written; request size (body bytes read) and response size (body bytes written).
public struct HTTPMetricsMiddleware: HTTPMiddleware {
    /// Where the numbers go.
    public let metrics: RegistryMetrics

    /// A middleware recording into `metrics`.
    public init(metrics: RegistryMetrics) { self.metrics = metrics }

    /// Calls `next`; the request is recorded when the server reports its outcome.
    public func respond(to request: HTTPRequest, next: HTTPHandler) async throws -> HTTPResponse {
        let start = DispatchTime.now().uptimeNanoseconds
        let metrics = self.metrics
        metrics.httpInFlight.inc()
        request.onResponseFinished { outcome in
            metrics.httpInFlight.dec()
            let headerSeconds = outcome.headerWrittenAt.map { Self.seconds(from: start, to: $0) }
            metrics.httpRequest(method: request.method, code: outcome.status, seconds: Self.seconds(from: start, to: outcome.finishedAt),
                                headerSeconds: headerSeconds, requestBytes: request.body.bytesRead,
                                responseBytes: outcome.bodyBytesWritten)
        }
        return try await next(request)
    }

    private static func seconds(from start: UInt64, to end: DispatchTime) -> Double {
        Double(end.uptimeNanoseconds &- start) / 1e9
    }
}
