import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Signed S3 requests over FoundationNetworking's `URLSession` (libcurl underneath).
///
/// Why URLSession rather than our own socket client: on this Linux toolchain it is
/// reliable (checked against moto and a refused port), it already pools and reuses
/// keep-alive connections per host, enforces timeouts and does TLS with the system
/// trust store, which is most of what a hand-written client would need re-proving.
/// Bodies are bounded by construction: uploads send one part (≤ `chunksize`) at a time
/// and reads use ranged GETs of a fixed window, so no whole blob is ever held.
///
/// Retries: idempotent requests (GET, HEAD, PUT, DELETE; POST only where the caller says
/// so) are retried with exponential backoff on 5xx, `SlowDown`, timeouts and dropped or
/// refused connections, up to ``maxAttempts``.
final class S3Client: @unchecked Sendable {
    let scheme: String
    /// `host[:port]` of the endpoint (without the bucket).
    let endpointHost: String
    let bucket: String
    let virtualHosted: Bool
    let signer: S3Signer
    let session: URLSession
    let maxAttempts: Int
    let baseBackoff: TimeInterval
    /// Our own socket client, used instead of URLSession when set (e.g. for `trustedca`).
    let sockets: S3SocketTransport?

    init(scheme: String, endpointHost: String, bucket: String, virtualHosted: Bool, signer: S3Signer,
         timeout: TimeInterval = 60, maxAttempts: Int = 4, baseBackoff: TimeInterval = 0.1, sockets: S3SocketTransport? = nil) {
        self.sockets = sockets
        self.scheme = scheme
        self.endpointHost = endpointHost
        self.bucket = bucket
        self.virtualHosted = virtualHosted
        self.signer = signer
        self.maxAttempts = max(1, maxAttempts)
        self.baseBackoff = baseBackoff
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.httpMaximumConnectionsPerHost = 32
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        session = URLSession(configuration: configuration)
    }

    /// The host header value for the bucket.
    var host: String { virtualHosted ? "\(bucket).\(endpointHost)" : endpointHost }

    /// The decoded request path for an object key (empty key: the bucket itself).
    func path(forKey key: String) -> String {
        virtualHosted ? "/" + key : "/" + bucket + (key.isEmpty ? "" : "/" + key)
    }

    /// The URL for a decoded path and query, encoded as the signer canonicalizes it.
    func url(path: String, query: [(String, String)]) -> URL {
        var text = "\(scheme)://\(host)\(S3Signer.uriEncode(path, keepSlash: true))"
        if !query.isEmpty {
            text += "?" + query.map { "\(S3Signer.uriEncode($0.0))=\(S3Signer.uriEncode($0.1))" }.joined(separator: "&")
        }
        return URL(string: text)!
    }

    /// A presigned URL for `method` on `key`, valid for `expires` seconds.
    func presignedURL(method: String, key: String, expires: Int, date: Date = Date()) -> String {
        let p = path(forKey: key)
        let items = signer.presignedQuery(method: method, path: p, query: [], host: host, expires: expires, date: date)
        return url(path: p, query: items).absoluteString
    }

    /// Sends one signed request, retrying idempotent ones; non-2xx answers throw ``S3Error``
    /// unless their status is in `accept`.
    func send(_ method: String, key: String, query: [(String, String)] = [], headers: [String: String] = [:],
              body: Data? = nil, idempotent: Bool? = nil, accept: Set<Int> = []) async throws -> S3Response {
        let retryable = idempotent ?? (method != "POST")
        var attempt = 0
        while true {
            attempt += 1
            do {
                let response = try await sendOnce(method, key: key, query: query, headers: headers, body: body)
                if (200..<300).contains(response.status) || accept.contains(response.status) { return response }
                let error = Self.error(from: response)
                if retryable, attempt < maxAttempts, Self.isTransient(error) {
                    try await backoff(attempt)
                    continue
                }
                throw error
            } catch let error as S3Error {
                if retryable, attempt < maxAttempts, error.status == 0, Self.transientTransportCodes.contains(error.code) {
                    try await backoff(attempt)
                    continue
                }
                throw error
            } catch let error as URLError {
                let wrapped = S3Error(status: 0, code: Self.name(of: error.code), message: error.localizedDescription)
                if retryable, attempt < maxAttempts, Self.isTransient(error.code) {
                    try await backoff(attempt)
                    continue
                }
                throw wrapped
            } catch {
                if error is CancellationError { throw error }
                throw S3Error(status: 0, code: "RequestFailed", message: "\(error)")
            }
        }
    }

    private func backoff(_ attempt: Int) async throws {
        let delay = baseBackoff * pow(2, Double(attempt - 1)) * Double.random(in: 0.5...1.0)
        try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
    }

    private func sendOnce(_ method: String, key: String, query: [(String, String)], headers: [String: String],
                          body: Data?) async throws -> S3Response {
        let p = path(forKey: key)
        var toSign = headers
        toSign["host"] = host
        let payloadHash = body.map { $0.isEmpty ? S3Signer.emptyPayloadHash : S3Signer.unsignedPayload } ?? S3Signer.emptyPayloadHash
        let signed = signer.sign(method: method, path: p, query: query, headers: toSign, payloadHash: payloadHash, date: Date())
        if let sockets {
            var target = S3Signer.uriEncode(p, keepSlash: true)
            if !query.isEmpty {
                target += "?" + query.map { "\(S3Signer.uriEncode($0.0))=\(S3Signer.uriEncode($0.1))" }.joined(separator: "&")
            }
            var headers = signed
            headers["host"] = nil
            headers["Host"] = host
            return try await sockets.send(method: method, target: target, headers: headers, body: body)
        }
        var request = URLRequest(url: url(path: p, query: query))
        request.httpMethod = method
        for (name, value) in signed where name != "host" { request.setValue(value, forHTTPHeaderField: name) }
        if let body {
            request.setValue(String(body.count), forHTTPHeaderField: "Content-Length")
        }
        let (data, response): (Data, URLResponse)
        if let body, !body.isEmpty || method == "PUT" {
            (data, response) = try await session.upload(for: request, from: body)
        } else {
            (data, response) = try await session.data(for: request)
        }
        guard let http = response as? HTTPURLResponse else {
            throw S3Error(status: 0, code: "RequestFailed", message: "no HTTP response")
        }
        var lowered: [String: String] = [:]
        for (k, v) in http.allHeaderFields {
            if let k = k as? String, let v = v as? String { lowered[k.lowercased()] = v }
        }
        return S3Response(status: http.statusCode, headers: lowered, body: data)
    }

    /// The ``S3Error`` an error answer describes (code and message from its XML body).
    static func error(from response: S3Response) -> S3Error {
        let text = String(decoding: response.body, as: UTF8.self)
        let code = S3XML.first("Code", in: text) ?? Self.defaultCode(response.status)
        let message = S3XML.first("Message", in: text) ?? HTTPURLResponse.localizedString(forStatusCode: response.status)
        return S3Error(status: response.status, code: code, message: message)
    }

    private static func defaultCode(_ status: Int) -> String {
        switch status {
        case 403: return "AccessDenied"
        case 404: return "NotFound"
        case 412: return "PreconditionFailed"
        case 503: return "ServiceUnavailable"
        default: return "HTTP\(status)"
        }
    }

    /// Transport failures (from ``S3SocketTransport``) worth another attempt.
    static let transientTransportCodes: Set<String> = ["Timeout", "ConnectionReset", "ConnectionRefused", "ConnectFailed", "HostNotFound"]

    static func isTransient(_ error: S3Error) -> Bool {
        error.status >= 500 || error.code == "SlowDown" || error.code == "RequestTimeout" || error.code == "InternalError"
    }

    static func isTransient(_ code: URLError.Code) -> Bool {
        [.timedOut, .networkConnectionLost, .cannotConnectToHost, .notConnectedToInternet, .cannotFindHost,
         .dnsLookupFailed, .badServerResponse].contains(code)
    }

    static func name(of code: URLError.Code) -> String {
        switch code {
        case .timedOut: return "Timeout"
        case .networkConnectionLost: return "ConnectionReset"
        case .cannotConnectToHost: return "ConnectionRefused"
        case .cannotFindHost, .dnsLookupFailed: return "HostNotFound"
        case .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateHasUnknownRoot,
             .serverCertificateNotYetValid, .secureConnectionFailed:
            return "TLSFailure"
        default: return "URLError\(code.rawValue)"
        }
    }
}
