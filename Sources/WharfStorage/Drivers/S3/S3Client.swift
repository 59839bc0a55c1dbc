import Foundation

/// Signed S3 requests over our own HTTP/1.1 client (``S3SocketTransport``: POSIX sockets,
/// OpenSSL for https).
///
/// Why not FoundationNetworking's URLSession: it links libcurl, which a
/// `--static-swift-stdlib` build (the container image) cannot link without adding
/// libcurl to the image, and on Linux it cannot trust a private CA bundle (`trustedca`).
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
    let maxAttempts: Int
    let baseBackoff: TimeInterval
    /// The connection pool requests go through.
    let transport: S3SocketTransport

    init(scheme: String, endpointHost: String, bucket: String, virtualHosted: Bool, signer: S3Signer,
         maxAttempts: Int = 4, baseBackoff: TimeInterval = 0.1, transport: S3SocketTransport) {
        self.transport = transport
        self.scheme = scheme
        self.endpointHost = endpointHost
        self.bucket = bucket
        self.virtualHosted = virtualHosted
        self.signer = signer
        self.maxAttempts = max(1, maxAttempts)
        self.baseBackoff = baseBackoff
    }

    /// The host header value for the bucket.
    var host: String { virtualHosted ? "\(bucket).\(endpointHost)" : endpointHost }

    /// The decoded request path for an object key (empty key: the bucket itself).
    func path(forKey key: String) -> String {
        virtualHosted ? "/" + key : "/" + bucket + (key.isEmpty ? "" : "/" + key)
    }

    /// The request-target for a decoded path and query, encoded as the signer canonicalizes it.
    func target(path: String, query: [(String, String)]) -> String {
        var text = S3Signer.uriEncode(path, keepSlash: true)
        if !query.isEmpty {
            text += "?" + query.map { "\(S3Signer.uriEncode($0.0))=\(S3Signer.uriEncode($0.1))" }.joined(separator: "&")
        }
        return text
    }

    /// A presigned URL for `method` on `key`, valid for `expires` seconds.
    func presignedURL(method: String, key: String, expires: Int, date: Date = Date()) -> String {
        let p = path(forKey: key)
        let items = signer.presignedQuery(method: method, path: p, query: [], host: host, expires: expires, date: date)
        return "\(scheme)://\(host)" + target(path: p, query: items)
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
        var wireHeaders = signed
        wireHeaders["host"] = nil
        wireHeaders["Host"] = host
        return try await transport.send(method: method, target: target(path: p, query: query), headers: wireHeaders, body: body)
    }

    /// The ``S3Error`` an error answer describes (code and message from its XML body).
    static func error(from response: S3Response) -> S3Error {
        let text = String(decoding: response.body, as: UTF8.self)
        let code = S3XML.first("Code", in: text) ?? Self.defaultCode(response.status)
        let message = S3XML.first("Message", in: text) ?? "HTTP status \(response.status)"
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
}
