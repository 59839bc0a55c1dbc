import Foundation
import WharfHTTP
import WharfHTTPClient

/// A GCS JSON API failure: the answer's status and message, or a transport failure (status 0).
public struct GCSError: Error, Sendable, CustomStringConvertible {
    /// HTTP status (0 when no answer came back).
    public var status: Int
    /// The answer's `error.message`, or the transport's description.
    public var message: String
    /// `GCS HTTP <status>: <message>`.
    public var description: String { "GCS HTTP \(status): \(message)" }
}

/// One GCS answer read whole: status, headers and body (JSON metadata, listings, errors).
struct GCSResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data

    /// The body as a JSON object (empty when it is not one).
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
}

/// Requests to the GCS JSON API over Wharf's shared ``HTTPClient``, which pools
/// connections and retries idempotent requests on connection failures, 429 and 5xx with
/// backoff. Requests carry `Authorization: Bearer` from ``authorization`` when there is
/// one; an emulator endpoint without credentials gets none.
final class GCSClient: @unchecked Sendable {
    let http: HTTPClient
    /// Scheme, host and port of the endpoint.
    let endpoint: HTTPEndpoint
    /// The endpoint's path prefix (empty for `https://storage.googleapis.com`).
    let basePath: String
    let bucket: String
    /// The bearer token of each request, or nil for none.
    let authorization: (@Sendable () async throws -> String)?

    init(configuration: GCSConfiguration, http: HTTPClient, authorization: (@Sendable () async throws -> String)?) throws {
        guard let c = URLComponents(string: configuration.endpoint), let scheme = c.scheme, let host = c.host else {
            throw StorageError.unsupported("storage.gcs.endpoint: not a URL: \(configuration.endpoint)")
        }
        endpoint = HTTPEndpoint(scheme: scheme, host: host, port: c.port)
        basePath = c.percentEncodedPath
        bucket = configuration.bucket
        self.http = http
        self.authorization = authorization
    }

    /// Percent-encodes an object name for a URL path segment or query value (`/` included).
    static func encode(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: unreserved) ?? name
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// `/storage/v1/b/<bucket>/o[/<name>]`.
    func objectPath(_ name: String? = nil) -> String {
        "\(basePath)/storage/v1/b/\(Self.encode(bucket))/o" + (name.map { "/" + Self.encode($0) } ?? "")
    }

    /// `/upload/storage/v1/b/<bucket>/o`.
    var uploadPath: String { "\(basePath)/upload/storage/v1/b/\(Self.encode(bucket))/o" }

    /// `/batch/storage/v1`.
    var batchPath: String { "\(basePath)/batch/storage/v1" }

    /// A target with an encoded query.
    static func target(_ path: String, _ query: [(String, String)]) -> String {
        query.isEmpty ? path : path + "?" + query.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }

    /// The wire request, with the bearer token when there is one.
    func request(_ method: String, target: String, headers: [(String, String)] = [], body: Data? = nil,
                 idempotent: Bool? = nil) async throws -> HTTPClientRequest {
        var r = HTTPClientRequest(method: method, endpoint: endpoint, target: target, headers: HTTPHeaders(headers),
                                  body: body.map { .bytes($0) } ?? .empty)
        r.idempotent = idempotent
        if let authorization { r.headers.set("Authorization", "Bearer \(try await authorization())") }
        return r
    }

    /// A request to an absolute URL (a resumable session's), with the bearer token when there is one.
    func request(_ method: String, url: String, headers: [(String, String)] = [], body: Data? = nil) async throws -> HTTPClientRequest {
        var r: HTTPClientRequest
        do {
            r = try HTTPClientRequest(method: method, url: url, headers: HTTPHeaders(headers), body: body.map { .bytes($0) } ?? .empty)
        } catch {
            throw GCSError(status: 400, message: "bad resumable session URI: \(error)")
        }
        if let authorization { r.headers.set("Authorization", "Bearer \(try await authorization())") }
        return r
    }

    /// Sends a request and reads the answer whole; non-2xx answers throw ``GCSError``
    /// unless their status is in `accept`.
    func send(_ request: HTTPClientRequest, accept: Set<Int> = []) async throws -> GCSResponse {
        let response = try await Self.transport {
            let answer = try await http.execute(request)
            return GCSResponse(status: answer.status, headers: answer.headers, body: try await answer.body.collect(upTo: Self.maxAnswerBytes))
        }
        if (200..<300).contains(response.status) || accept.contains(response.status) { return response }
        throw Self.error(from: response)
    }

    /// ``send(_:accept:)`` of a request built by ``request(_:target:headers:body:idempotent:)``.
    func send(_ method: String, target: String, headers: [(String, String)] = [], body: Data? = nil,
              idempotent: Bool? = nil, accept: Set<Int> = []) async throws -> GCSResponse {
        try await send(try await request(method, target: target, headers: headers, body: body, idempotent: idempotent), accept: accept)
    }

    /// A GET whose 2xx body is streamed; other answers throw ``GCSError``.
    func openStream(target: String, headers: [(String, String)]) async throws -> HTTPClientResponse {
        let r = try await request("GET", target: target, headers: headers)
        let answer = try await Self.transport { try await http.execute(r) }
        if (200..<300).contains(answer.status) { return answer }
        let body = try await Self.transport { try await answer.body.collect(upTo: Self.maxAnswerBytes) }
        throw Self.error(from: GCSResponse(status: answer.status, headers: answer.headers, body: body))
    }

    /// The largest answer read whole (metadata, listings, errors; never object bodies).
    static let maxAnswerBytes = 64 << 20

    /// Runs `body`, turning the HTTP client's failures into ``GCSError``s with status 0.
    static func transport<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let e as HTTPClientError { throw GCSError(status: 0, message: e.description) }
    }

    /// The ``GCSError`` an error answer describes (`error.message` of its JSON, when any).
    static func error(from response: GCSResponse) -> GCSError {
        let message = (response.json["error"] as? [String: Any])?["message"] as? String
        return GCSError(status: response.status, message: message ?? "HTTP status \(response.status)")
    }
}
