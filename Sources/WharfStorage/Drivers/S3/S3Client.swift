import Foundation
import WharfHTTP
import WharfHTTPClient

/// Signed S3 requests over Wharf's shared HTTP/1.1 client (``HTTPClient``: pooled
/// keep-alive connections, OpenSSL for https, the operator's proxy settings).
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
    /// The client requests go through (its own retries off: S3 retries by S3 error code here).
    let http: HTTPClient
    /// Where requests go (the bucket's host when virtual-hosted).
    let endpoint: HTTPEndpoint

    init(scheme: String, endpointHost: String, bucket: String, virtualHosted: Bool, signer: S3Signer,
         maxAttempts: Int = 4, baseBackoff: TimeInterval = 0.1, http: HTTPClient) {
        self.http = http
        let hostPort = virtualHosted ? "\(bucket).\(endpointHost)" : endpointHost
        if let colon = hostPort.lastIndex(of: ":"), let port = Int(hostPort[hostPort.index(after: colon)...]) {
            endpoint = HTTPEndpoint(scheme: scheme, host: String(hostPort[..<colon]), port: port)
        } else {
            endpoint = HTTPEndpoint(scheme: scheme, host: hostPort)
        }
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
            let response = try await Self.transport {
                let answer = try await http.execute(request(method, key: key, query: query, headers: headers, body: body))
                return S3Response(status: answer.status, headers: answer.headers.lowercasedDictionary,
                                  body: try await answer.body.collect(upTo: Self.maxAnswerBytes))
            }
            if (200..<300).contains(response.status) || accept.contains(response.status) { return response }
            throw Self.error(from: response)
        }
    }

    /// A signed GET of `key` whose 2xx body is streamed, retried like
    /// ``send(_:key:query:headers:body:idempotent:accept:)`` until the head arrives.
    /// Non-2xx answers (and a 2xx without Content-Length) come back read whole with a nil
    /// stream; they throw ``S3Error`` unless their status is in `accept`.
    func openStream(key: String, headers: [String: String] = [:], accept: Set<Int> = []) async throws
        -> (response: S3Response, stream: HTTPClientResponseBody?) {
        try await retrying(true) {
            let opened = try await Self.transport { () -> (response: S3Response, stream: HTTPClientResponseBody?) in
                let answer = try await http.execute(request("GET", key: key, query: [], headers: headers, body: nil))
                let head = S3Response(status: answer.status, headers: answer.headers.lowercasedDictionary, body: Data())
                if (200..<300).contains(answer.status), answer.body.expectedLength != nil { return (head, answer.body) }
                var whole = head
                whole.body = try await answer.body.collect(upTo: Self.maxAnswerBytes)
                return (whole, nil)
            }
            if (200..<300).contains(opened.response.status) || accept.contains(opened.response.status) { return opened }
            throw Self.error(from: opened.response)
        }
    }

    /// The largest answer read whole (listings, XML results and errors, not object bodies).
    static let maxAnswerBytes = 64 << 20

    /// The wire request for a signed S3 call.
    func request(_ method: String, key: String, query: [(String, String)], headers: [String: String], body: Data?) -> HTTPClientRequest {
        let signed = signedHeaders(method, key: key, query: query, headers: headers, body: body)
        return HTTPClientRequest(method: method, endpoint: endpoint, target: target(path: path(forKey: key), query: query),
                                 headers: HTTPHeaders(signed.map { ($0.key, $0.value) }),
                                 body: body.map { .bytes($0) } ?? .empty)
    }

    /// Runs `body`, turning the HTTP client's failures into ``S3Error``s with status 0.
    static func transport<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let e as HTTPClientError {
            throw S3Error(transport: e)
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

    /// Transport failures (``S3Error/init(transport:)``) worth another attempt.
    static let transientTransportCodes: Set<String> = ["Timeout", "ConnectionReset", "ConnectionRefused", "ConnectFailed", "HostNotFound"]

    static func isTransient(_ error: S3Error) -> Bool {
        error.status >= 500 || error.code == "SlowDown" || error.code == "RequestTimeout" || error.code == "InternalError"
    }
}
