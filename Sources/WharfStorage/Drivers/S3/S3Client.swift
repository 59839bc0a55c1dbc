import Foundation

/// Signed S3 requests over our own HTTP/1.1 client (``S3SocketTransport``: POSIX sockets,
/// OpenSSL for https).
///
/// Why not FoundationNetworking's URLSession: it links libcurl, which a
/// `--static-swift-stdlib` build (the container image) cannot link without adding
/// libcurl to the image, and on Linux it cannot trust a private CA bundle (`trustedca`).
/// Bodies are bounded by construction: uploads send one part (≤ `chunksize`) at a time
/// and object reads stream one GET's body at the reader's pace, so no whole blob is ever held.
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
        try await retrying(idempotent ?? (method != "POST")) {
            let response = try await transport.send(method: method, target: target(path: path(forKey: key), query: query),
                                                    headers: signedHeaders(method, key: key, query: query, headers: headers, body: body),
                                                    body: body)
            if (200..<300).contains(response.status) || accept.contains(response.status) { return response }
            throw Self.error(from: response)
        }
    }

    /// A signed GET of `key` whose 2xx body is streamed (``S3BodyStream``), retried like
    /// ``send(_:key:query:headers:body:idempotent:accept:)`` until the head arrives.
    /// Non-2xx answers throw ``S3Error`` unless their status is in `accept` (then the stream is nil).
    func openStream(key: String, headers: [String: String] = [:], accept: Set<Int> = []) async throws
        -> (response: S3Response, stream: S3BodyStream?) {
        try await retrying(true) {
            let opened = try await transport.openStream(target: target(path: path(forKey: key), query: []),
                                                        headers: signedHeaders("GET", key: key, query: [], headers: headers, body: nil))
            if (200..<300).contains(opened.response.status) || accept.contains(opened.response.status) { return opened }
            throw Self.error(from: opened.response)
        }
    }

    /// Runs `attempt` up to ``maxAttempts`` times (once unless `retryable`) while it fails
    /// with a transient S3 error or transport failure, with exponential backoff.
    private func retrying<T>(_ retryable: Bool, _ attempt: () async throws -> T) async throws -> T {
        var count = 0
        while true {
            count += 1
            do {
                return try await attempt()
            } catch let error as S3Error {
                let transient = error.status == 0 ? Self.transientTransportCodes.contains(error.code) : Self.isTransient(error)
                if retryable, count < maxAttempts, transient {
                    try await backoff(count)
                    continue
                }
                throw error
            } catch {
                if error is CancellationError { throw error }
                throw S3Error(status: 0, code: "RequestFailed", message: "\(error)")
            }
        }
    }

    /// Waits before attempt `attempt + 1`: exponential, with jitter.
    func backoff(_ attempt: Int) async throws {
        let delay = baseBackoff * pow(2, Double(attempt - 1)) * Double.random(in: 0.5...1.0)
        try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
    }

    /// What the signature says about a body. Over https: `UNSIGNED-PAYLOAD` (TLS protects
    /// the bytes, and the registry hashes every blob itself, so a part is not hashed twice).
    /// Over plain http: the body's SHA-256, so nothing on the way can change the bytes
    /// without S3 refusing the request. Parts are in memory when sent, so either way no
    /// blob is buffered for the signature.
    func payloadHash(_ body: Data?) -> String {
        guard let body, !body.isEmpty else { return S3Signer.emptyPayloadHash }
        return scheme == "https" ? S3Signer.unsignedPayload : S3Signer.sha256Hex(body)
    }

    /// The wire headers of a signed request (see ``payloadHash(_:)`` for the body's part).
    func signedHeaders(_ method: String, key: String, query: [(String, String)], headers: [String: String],
                       body: Data?, date: Date = Date()) -> [String: String] {
        var toSign = headers
        toSign["host"] = host
        var wireHeaders = signer.sign(method: method, path: path(forKey: key), query: query, headers: toSign,
                                      payloadHash: payloadHash(body), date: date)
        wireHeaders["host"] = nil
        wireHeaders["Host"] = host
        return wireHeaders
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
