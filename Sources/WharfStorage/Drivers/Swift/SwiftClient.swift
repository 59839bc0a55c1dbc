import Foundation
import WharfHTTP
import WharfHTTPClient

/// A Swift API failure: the answer's status, or a transport failure (status 0).
public struct SwiftError: Error, Sendable, CustomStringConvertible {
    /// HTTP status (0 when no answer came back).
    public var status: Int
    /// What failed.
    public var message: String
    /// `Swift HTTP <status>: <message>`.
    public var description: String { "Swift HTTP \(status): \(message)" }
}

/// One Swift answer read whole (listings, manifests, errors; never object bodies).
struct SwiftResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data

    /// The body as a JSON object (empty when it is not one).
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
}

/// Requests to one container of the Swift API over Wharf's shared ``HTTPClient`` (pooled,
/// retrying idempotent requests on connection failures and 5xx with backoff). Every request
/// carries the session's `X-Auth-Token`; a 401 invalidates the session and the request is
/// sent once more with a fresh token.
final class SwiftClient: @unchecked Sendable {
    let http: HTTPClient
    let auth: SwiftAuthenticator
    let container: String

    init(http: HTTPClient, auth: SwiftAuthenticator, container: String) {
        self.http = http
        self.auth = auth
        self.container = container
    }

    /// Percent-encodes a name for a URL path (`/` kept) or, with `slash`, a query value.
    static func encode(_ name: String, slash: Bool = false) -> String {
        name.addingPercentEncoding(withAllowedCharacters: slash ? unreserved : pathAllowed) ?? name
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    private static let pathAllowed = unreserved.union(CharacterSet(charactersIn: "/"))

    /// `/<container>[/<object>]` with an encoded query, relative to the storage URL.
    func resource(_ object: String?, _ query: [(String, String)] = []) -> String {
        var r = "/" + Self.encode(container, slash: true) + (object.map { "/" + Self.encode($0) } ?? "")
        if !query.isEmpty {
            r += "?" + query.map { $0.1.isEmpty ? Self.encode($0.0, slash: true) : "\(Self.encode($0.0, slash: true))=\(Self.encode($0.1, slash: true))" }
                .joined(separator: "&")
        }
        return r
    }

    /// The wire request for `resource` below the session's storage URL (`""`: the account).
    private func request(_ session: SwiftSession, _ method: String, _ resource: String, headers: [(String, String)],
                         body: Data?, idempotent: Bool?) throws -> HTTPClientRequest {
        var h = HTTPHeaders(headers)
        h.set("X-Auth-Token", session.token)
        var r: HTTPClientRequest
        do {
            r = try HTTPClientRequest(method: method, url: session.storageURL + resource, headers: h, body: body.map { .bytes($0) } ?? .empty)
        } catch {
            throw SwiftError(status: 0, message: "bad storage URL \(session.storageURL): \(error)")
        }
        r.idempotent = idempotent
        return r
    }

    /// Runs `call` with the session, once more with a fresh one when the token was refused.
    private func authorized<T>(_ call: (SwiftSession) async throws -> (T, Int)) async throws -> T {
        let session = try await auth.session()
        let (value, status) = try await call(session)
        guard status == 401 else { return value }
        auth.invalidate(session)
        return try await call(try await auth.session()).0
    }

    /// Sends a request and reads the answer whole; non-2xx answers throw ``SwiftError``
    /// unless their status is in `accept`.
    func send(_ method: String, _ resource: String, headers: [(String, String)] = [], body: Data? = nil,
              idempotent: Bool? = nil, accept: Set<Int> = []) async throws -> SwiftResponse {
        let response: SwiftResponse = try await authorized { session in
            let r = try request(session, method, resource, headers: headers, body: body, idempotent: idempotent)
            let answer = try await Self.transport {
                let a = try await http.execute(r)
                return SwiftResponse(status: a.status, headers: a.headers, body: try await a.body.collect(upTo: Self.maxAnswerBytes))
            }
            return (answer, answer.status)
        }
        if (200..<300).contains(response.status) || accept.contains(response.status) { return response }
        throw SwiftError(status: response.status,
                         message: "\(method) \(resource): " + String(decoding: response.body.prefix(200), as: UTF8.self))
    }

    /// A GET whose 2xx body is streamed; other answers throw ``SwiftError``.
    func openStream(_ resource: String, headers: [(String, String)]) async throws -> HTTPClientResponse {
        let answer: HTTPClientResponse = try await authorized { session in
            let r = try request(session, "GET", resource, headers: headers, body: nil, idempotent: nil)
            let a = try await Self.transport { try await http.execute(r) }
            if a.status == 401 { a.body.close() }
            return (a, a.status)
        }
        if (200..<300).contains(answer.status) { return answer }
        answer.body.close()
        throw SwiftError(status: answer.status, message: "GET \(resource)")
    }

    /// The largest answer read whole.
    static let maxAnswerBytes = 64 << 20

    /// Runs `body`, turning the HTTP client's failures into ``SwiftError``s with status 0.
    static func transport<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let e as HTTPClientError { throw SwiftError(status: 0, message: e.description) }
    }
}
