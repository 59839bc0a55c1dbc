import Foundation
import WharfHTTP
import WharfHTTPClient

/// An Azure Blob service answer, or a failure on the way: the service's error code
/// (`BlobNotFound`, `AuthenticationFailed`, ...) and status (0 when no answer came back).
public struct AzureError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    /// `Azure <code> (HTTP <status>): <message>`.
    public var description: String { "Azure \(code) (HTTP \(status)): \(message)" }
}

/// One answer read whole: status, headers (lower-case names), body.
struct AzureResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data
}

/// SharedKey-signed (or bearer-token) Blob REST requests over ``HTTPClient`` (pooled keep-alive, TLS with
/// `trustedca`, the proxy variables). The client retries idempotent requests on
/// connection failures, 429 and 5xx with backoff; what still fails comes back as an
/// ``AzureError``.
final class AzureClient: @unchecked Sendable {
    /// The service version every request asks for.
    static let version = "2021-08-06"
    /// The largest answer read whole (listings, block lists, errors; not blob bodies).
    static let maxAnswerBytes = 64 << 20

    let configuration: AzureConfiguration
    /// The SharedKey signer when there is an account key (it also signs SAS URLs).
    let signer: AzureSharedKeySigner?
    /// Bearer tokens with token credentials (then requests are not SharedKey-signed).
    let tokens: BearerTokenCache?
    let http: HTTPClient
    let endpoint: HTTPEndpoint

    init(configuration: AzureConfiguration, http: HTTPClient) throws {
        self.configuration = configuration
        self.http = http
        signer = try configuration.accountKey.map { try AzureSharedKeySigner(account: configuration.accountName, base64Key: $0) }
        tokens = try AzureTokenSource.cache(for: configuration.credentials, http: http)
        let hostPort = configuration.endpointHost
        if let colon = hostPort.lastIndex(of: ":"), let port = Int(hostPort[hostPort.index(after: colon)...]) {
            endpoint = HTTPEndpoint(scheme: configuration.scheme, host: String(hostPort[..<colon]), port: port)
        } else {
            endpoint = HTTPEndpoint(scheme: configuration.scheme, host: hostPort)
        }
    }

    /// The URL path of a blob (empty name: the container), encoded as sent.
    func path(blob: String) -> String {
        configuration.basePath + "/" + configuration.container + (blob.isEmpty ? "" : "/" + Self.encode(blob, keepSlash: true))
    }

    /// The absolute URL of a blob, with optional query items.
    func url(blob: String, query: [(String, String)] = []) -> String {
        "\(configuration.scheme)://\(configuration.endpointHost)" + target(path: path(blob: blob), query: query)
    }

    func target(path: String, query: [(String, String)]) -> String {
        guard !query.isEmpty else { return path }
        return path + "?" + query.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
    }

    /// Percent-encoding of all but `A-Za-z0-9-_.~` (and `/` when `keepSlash`).
    static func encode(_ s: String, keepSlash: Bool = false) -> String {
        var allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
        if keepSlash { allowed.insert("/") }
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// The wire request: SharedKey-signed, or with the bearer token of token credentials.
    func request(_ method: String, blob: String, query: [(String, String)], headers: [String: String], body: Data?,
                 date: Date = Date()) async throws -> HTTPClientRequest {
        var h = headers
        h["x-ms-date"] = Self.httpDate(date)
        h["x-ms-version"] = Self.version
        let p = path(blob: blob)
        if let tokens {
            h["Authorization"] = "Bearer " + (try await tokens.token())
        } else if let signer {
            if let body, !body.isEmpty { h["Content-Length"] = String(body.count) }
            h["Authorization"] = signer.authorization(method: method, path: p, query: query, headers: h)
            h["Content-Length"] = nil
        }
        return HTTPClientRequest(method: method, endpoint: endpoint, target: target(path: p, query: query),
                                 headers: HTTPHeaders(h.map { ($0.key, $0.value) }), body: body.map { .bytes($0) } ?? .empty)
    }

    /// Sends one request and reads the answer whole; non-2xx throws ``AzureError`` unless in `accept`.
    func send(_ method: String, blob: String, query: [(String, String)] = [], headers: [String: String] = [:],
              body: Data? = nil, accept: Set<Int> = []) async throws -> AzureResponse {
        let r = try await Self.transport {
            let answer = try await http.execute(try await request(method, blob: blob, query: query, headers: headers, body: body))
            return AzureResponse(status: answer.status, headers: answer.headers.lowercasedDictionary,
                                 body: try await answer.body.collect(upTo: Self.maxAnswerBytes))
        }
        if (200..<300).contains(r.status) || accept.contains(r.status) { return r }
        throw Self.error(from: r)
    }

    /// A GET whose 2xx body is streamed; other answers throw ``AzureError``.
    func openStream(blob: String, headers: [String: String]) async throws -> (headers: [String: String], body: HTTPClientResponseBody) {
        try await Self.transport {
            let answer = try await http.execute(try await request("GET", blob: blob, query: [], headers: headers, body: nil))
            let h = answer.headers.lowercasedDictionary
            guard (200..<300).contains(answer.status) else {
                let body = try await answer.body.collect(upTo: Self.maxAnswerBytes)
                throw Self.error(from: AzureResponse(status: answer.status, headers: h, body: body))
            }
            return (h, answer.body)
        }
    }

    /// Runs `body`, turning the HTTP client's failures into ``AzureError``s with status 0.
    static func transport<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let e as HTTPClientError {
            throw AzureError(status: 0, code: "\(e.kind)", message: e.description)
        }
    }

    /// The error an answer describes: `x-ms-error-code` or the XML `<Code>`.
    static func error(from r: AzureResponse) -> AzureError {
        let text = String(decoding: r.body.prefix(8192), as: UTF8.self)
        let code = r.headers["x-ms-error-code"] ?? S3XML.first("Code", in: text) ?? "HTTP\(r.status)"
        let message = (S3XML.first("Message", in: text) ?? "HTTP status \(r.status)").split(separator: "\n").first.map(String.init) ?? ""
        return AzureError(status: r.status, code: code, message: message)
    }

    /// RFC 1123 date for `x-ms-date`.
    static func httpDate(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return f.string(from: date)
    }
}
