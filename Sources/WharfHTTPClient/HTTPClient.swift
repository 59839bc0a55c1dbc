import Foundation
import WharfHTTP

/// Wharf's HTTP/1.1 client, for object stores (S3, GCS, Azure, Swift), upstream registries
/// (pull-through), webhooks and token endpoints.
///
/// - Keep-alive connections are pooled per scheme, host, port and proxy.
/// - TLS trusts the system store plus ``HTTPClientTrust``'s bundle and per-host CA files,
///   with SNI and host name (or IP) verification.
/// - Plain-HTTP requests go through ``HTTPProxyConfiguration/httpProxy`` in absolute form,
///   HTTPS through a CONNECT tunnel to ``HTTPProxyConfiguration/httpsProxy``.
/// - Bodies stream both ways with backpressure; blocking socket calls run on the client's
///   own threads, never on Swift's cooperative pool.
/// - Idempotent requests are retried with backoff (``HTTPRetryPolicy``); redirects are
///   followed only when ``HTTPClientConfiguration/maxRedirects`` allows.
///
/// ```swift
/// let client = try HTTPClient(configuration: config)
/// let response = try await client.execute(HTTPClientRequest(method: "GET", url: "https://quay.io/v2/"))
/// for try await chunk in response.body { ... }
/// ```
public final class HTTPClient: Sendable {
    /// The configuration the client was made with.
    public let configuration: HTTPClientConfiguration
    let pool: ConnectionPool
    private let trust: TLSTrustStore

    /// - Throws: ``HTTPClientError`` `tls` when the CA bundle cannot be loaded.
    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) throws {
        self.configuration = configuration
        trust = try TLSTrustStore(configuration.trust)
        pool = ConnectionPool(maxIdlePerKey: configuration.maxIdlePerHost, maxThreads: configuration.maxThreads)
    }

    /// Idle keep-alive connections held now.
    public var idleConnectionCount: Int { pool.idleCount }

    /// Sends `request` and returns the answer once its head has arrived; the body streams.
    /// Every status is returned (none is an error); redirects are followed when configured.
    /// - Throws: ``HTTPClientError`` when no answer head arrived after the allowed attempts.
    public func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        var request = request
        var redirects = 0
        while true {
            let response = try await executeRetrying(request)
            guard configuration.maxRedirects > 0, [301, 302, 303, 307, 308].contains(response.status),
                  let location = response.headers["Location"] else { return response }
            response.body.close()
            guard redirects < configuration.maxRedirects else {
                throw HTTPClientError(.tooManyRedirects, host: request.endpoint.description,
                                      "more than \(configuration.maxRedirects) redirects", responseStarted: true)
            }
            redirects += 1
            request = try request.redirected(to: location, status: response.status)
        }
    }

    private func executeRetrying(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        let policy = configuration.retry
        var attempt = 0
        while true {
            attempt += 1
            let retryable = request.isIdempotent && attempt < policy.maxAttempts
            do {
                let response = try await send(request)
                guard retryable, policy.retryStatuses.contains(response.status) else { return response }
                response.body.close()
                try await Task.sleep(nanoseconds: UInt64(policy.delay(afterAttempt: attempt, retryAfter: response.headers["Retry-After"]) * 1e9))
            } catch let error as HTTPClientError where retryable && error.isTransient {
                try await Task.sleep(nanoseconds: UInt64(policy.delay(afterAttempt: attempt, retryAfter: nil) * 1e9))
            }
        }
    }

    /// One attempt: on a pooled connection when there is one (replaced once by a fresh one
    /// when it fails before any answer byte and the request is idempotent), else a new one.
    private func send(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        let proxy = configuration.proxy.proxy(for: request.endpoint)
        let key = ConnectionPool.Key(endpoint: request.endpoint, proxy: proxy)
        if let pooled = pool.take(key) {
            do {
                return try await exchange(on: pooled, request, proxy: proxy)
            } catch let error as HTTPClientError where !error.responseStarted && error.kind == .connectionClosed && request.isIdempotent {
                // The peer closed the idle connection as we reused it: try once on a new one.
            }
        }
        let config = configuration, trust = self.trust
        let fresh = try await pool.io.run {
            try ClientConnection.open(to: request.endpoint, proxy: proxy, trust: trust, configuration: config)
        }
        return try await exchange(on: fresh, request, proxy: proxy)
    }

    /// Writes the request on `c` and reads the answer's head.
    private func exchange(on c: ClientConnection, _ request: HTTPClientRequest, proxy: HTTPProxy?) async throws -> HTTPClientResponse {
        do {
            let head = try Data(request.head(absoluteForm: c.absoluteForm, proxyAuthorization: proxy?.authorization,
                                                userAgent: configuration.userAgent).utf8)
            let maxHeaderBytes = configuration.maxHeaderBytes
            switch request.body {
            case .empty:
                try await pool.io.run { try c.write(head, nil) }
            case .bytes(let data):
                try await pool.io.run { try c.write(head, data.isEmpty ? nil : data) }
            case .stream(let length, let makeSource):
                try await pool.io.run { try c.write(head, nil) }
                try await sendStream(try makeSource(), length: length, on: c)
            }
            let answer = try await pool.io.run { () throws -> (ResponseHead, ResponseBodyReader) in
                let h = try ResponseHead.read(from: c, maxBytes: maxHeaderBytes)
                return (h, try ResponseBodyReader(connection: c, head: h, method: request.method))
            }
            c.requestCount += 1
            return HTTPClientResponse(status: answer.0.status, headers: answer.0.headers,
                                      body: HTTPClientResponseBody(reader: answer.1, pool: pool))
        } catch {
            c.close()
            throw error
        }
    }

    /// Sends a streamed body chunk by chunk (chunked coding when `length` is nil), reading
    /// the next chunk only once the previous one is written.
    private func sendStream(_ source: any HTTPClientBodySource, length: Int64?, on c: ClientConnection) async throws {
        var sent: Int64 = 0
        let host = c.endpoint.description
        while true {
            let chunk: Data?
            do { chunk = try await source.next() } catch {
                throw HTTPClientError(.io, host: host, "request body source failed: \(error)")
            }
            guard let chunk else { break }
            if chunk.isEmpty { continue }
            sent += Int64(chunk.count)
            if let length, sent > length { throw HTTPClientError(.io, host: host, "request body longer than its length \(length)") }
            if length == nil {
                try await pool.io.run { try c.write(Data((String(chunk.count, radix: 16) + "\r\n").utf8), chunk); try c.write(Data("\r\n".utf8), nil) }
            } else {
                try await pool.io.run { try c.write(chunk, nil) }
            }
        }
        if let length, sent != length { throw HTTPClientError(.io, host: host, "request body shorter than its length \(length)") }
        if length == nil { try await pool.io.run { try c.write(Data("0\r\n\r\n".utf8), nil) } }
    }
}
