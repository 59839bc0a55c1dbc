import Foundation

/// The protocol version of a request: 1.0, 1.1 or 2.
public struct HTTPVersion: Sendable, Equatable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public init(major: Int, minor: Int) { self.major = major; self.minor = minor }
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)
    public static let http2 = HTTPVersion(major: 2, minor: 0)
    public var description: String { major == 2 ? "HTTP/2" : "HTTP/\(major).\(minor)" }
}

/// What a router attached to a request (WharfAPI's `RouteMatch`): declared here, below the
/// route table, so the request can carry it to every layer.
public protocol MatchedRoute: Sendable {}

/// One request as a handler sees it, whichever codec (HTTP/1.1 or HTTP/2) carried it.
///
/// The body is a stream (``RequestBody``): a handler reads it at its own pace and the
/// connection stops reading the socket while the handler is behind.
/// A request is a class so middleware can annotate it (``pathParameters``, ``attributes``)
/// for handlers further down the chain.
public final class HTTPRequest: @unchecked Sendable {
    /// Upper-case method token, e.g. `GET`.
    public let method: String
    /// The request-target as received (origin form: path and query, not decoded).
    public let target: String
    /// The path part of ``target``, not percent-decoded.
    public let path: String
    /// The query part of ``target`` without `?`, or nil.
    public let query: String?
    public let version: HTTPVersion
    public var headers: HTTPHeaders
    public let body: RequestBody
    /// Peer address as `ip:port`.
    public let remoteAddress: String
    /// True when the request arrived over TLS.
    public let isTLS: Bool
    /// A unique id for logs and the `X-Request-Id` response header.
    public let requestID: String
    /// Values captured by the router, e.g. `name` and `digest` for `/v2/{name*}/blobs/{digest}`.
    public var pathParameters: [String: String] = [:]
    /// The route the router matched, attached before any middleware runs, so middleware
    /// (auth, metrics, limits) reads it instead of parsing the path again. WharfAPI's
    /// `RouteMatch`; nil until a router has matched the request.
    public var route: (any MatchedRoute)?
    /// Free-form values middleware attaches for later layers (e.g. `user` after auth).
    public var attributes: [String: String] = [:]
    /// The ``attributes`` key an access-control middleware sets to `"true"` once it has
    /// allowed the request, so handlers with a check of their own (the metrics secret)
    /// accept what auth already granted.
    public static let accessGrantedAttribute = "wharf.access.granted"
    /// The ``attributes`` key holding the authenticated user's name (the access log's `auth.user.name`).
    public static let userAttribute = "user"
    /// When the server finished reading the request head.
    public let receivedAt: Date
    /// Who is told how the response ended (``onResponseFinished(_:)``).
    let completion = ResponseCompletion()

    public init(method: String, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = HTTPHeaders(),
                body: RequestBody = .empty, remoteAddress: String = "127.0.0.1:0", isTLS: Bool = false,
                requestID: String = RequestID.make(), receivedAt: Date = Date()) {
        self.method = method
        self.target = target
        if let q = target.firstIndex(of: "?") {
            path = String(target[..<q])
            query = String(target[target.index(after: q)...])
        } else {
            path = target
            query = nil
        }
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.isTLS = isTLS
        self.requestID = requestID
        self.receivedAt = receivedAt
    }

    /// The query's name/value pairs, percent-decoded (`+` as space), in order.
    public var queryItems: [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            return (name: name, value: value)
        }
    }

    /// The first query value of `name`, or nil.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// Every query value of `name` (e.g. a repeated `scope`).
    public func queryValues(_ name: String) -> [String] {
        queryItems.filter { $0.name == name }.map(\.value)
    }

    private static func decode(_ s: Substring) -> String {
        let plus = s.replacingOccurrences(of: "+", with: " ")
        return plus.removingPercentEncoding ?? plus
    }
}
