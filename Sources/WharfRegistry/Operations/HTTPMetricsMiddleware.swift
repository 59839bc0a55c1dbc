import Foundation
import WharfHTTP
import WharfMetrics

/// Counts every request into the `imageregistry_http_*` metrics: in flight while the
/// handler runs; requests by code and lower-case method, duration by method, request
/// size (body bytes read) and response size recorded when the handler answers. A
/// streamed body of unknown length is measured as it is sent.
public struct HTTPMetricsMiddleware: HTTPMiddleware {
    /// Where the numbers go.
    public let metrics: RegistryMetrics

    /// A middleware recording into `metrics`.
    public init(metrics: RegistryMetrics) { self.metrics = metrics }

    /// Calls `next` and records the outcome (a thrown error counts as 413 or 500, then is rethrown).
    public func respond(to request: HTTPRequest, next: HTTPHandler) async throws -> HTTPResponse {
        let start = DispatchTime.now().uptimeNanoseconds
        metrics.httpInFlight.inc()
        defer { metrics.httpInFlight.dec() }
        let response: HTTPResponse
        do {
            response = try await next(request)
        } catch {
            let status: Int
            if case RequestBodyError.tooLarge = error { status = 413 } else { status = 500 }
            record(request, status: status, start: start, responseBytes: 0)
            throw error
        }
        if case .stream(nil, let producer) = response.body {
            record(request, status: response.status, start: start, responseBytes: nil)
            var counted = response
            let metrics = self.metrics
            counted.body = .stream(length: nil, producer: { writer in
                let counter = CountingBodyWriter(writer)
                defer { metrics.httpResponseSize.observe(Double(counter.count)) }
                try await producer(counter)
            })
            return counted
        }
        record(request, status: response.status, start: start, responseBytes: response.body.knownLength ?? 0)
        return response
    }

    private func record(_ request: HTTPRequest, status: Int, start: UInt64, responseBytes: Int64?) {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        metrics.httpRequest(method: request.method, code: status, seconds: seconds,
                            requestBytes: request.body.bytesRead, responseBytes: responseBytes)
    }
}

/// Passes writes through and counts their bytes.
private final class CountingBodyWriter: BodyWriter, @unchecked Sendable {
    private let inner: BodyWriter
    private let lock = NSLock()
    private var total: Int64 = 0

    init(_ inner: BodyWriter) { self.inner = inner }

    var count: Int64 {
        lock.withLock { total }
    }

    func write(_ data: Data) async throws {
        try await inner.write(data)
        lock.withLock { total += Int64(data.count) }
    }
}
