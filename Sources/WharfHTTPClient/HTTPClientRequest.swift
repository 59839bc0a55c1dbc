import Foundation
import WharfHTTP

/// Where a request goes: scheme, host and port (a pool key with the proxy).
public struct HTTPEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// `http` or `https`.
    public var scheme: String
    /// A DNS name or an address (IPv6 without brackets).
    public var host: String
    /// The TCP port.
    public var port: Int

    /// An endpoint; the port defaults to the scheme's.
    public init(scheme: String, host: String, port: Int? = nil) {
        self.scheme = scheme.lowercased()
        self.host = host
        self.port = port ?? (scheme.lowercased() == "https" ? 443 : 80)
    }

    /// True for `https`.
    public var isTLS: Bool { scheme == "https" }

    /// The `Host` header value: the port only when it is not the scheme's default.
    public var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == (isTLS ? 443 : 80) ? h : "\(h):\(port)"
    }

    /// `host:port`, as errors name it.
    public var description: String { "\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}

/// A request body: nothing, bytes in memory, or a stream read chunk by chunk as it is sent.
public enum HTTPClientRequestBody: Sendable {
    /// No body (`Content-Length: 0` for PUT and POST).
    case empty
    /// Bytes sent as they are (not copied behind the head when large).
    case bytes(Data)
    /// A stream of `length` bytes (nil: chunked coding). `makeSource` is called once per
    /// attempt, so a retried or redirected request reads its body again from the start.
    case stream(length: Int64?, makeSource: @Sendable () throws -> any HTTPClientBodySource)
}

/// The chunks of a streamed request body; `nil` at the end.
public protocol HTTPClientBodySource: Sendable {
    /// The next chunk, read only when the previous one was sent (backpressure).
    func next() async throws -> Data?
}

/// One request: method, endpoint, request-target (path and query, percent-encoded as it
/// goes on the wire), headers and body.
///
/// ```swift
/// var request = try HTTPClientRequest(method: "GET", url: "https://storage.googleapis.com/b/o?alt=media")
/// request.headers.set("Authorization", "Bearer \(token)")
/// ```
public struct HTTPClientRequest: Sendable {
    /// The method token.
    public var method: String
    /// Where the request goes.
    public var endpoint: HTTPEndpoint
    /// The origin-form target: `/path?query`, already encoded.
    public var target: String
    /// Header fields; the client adds `Host` (unless given) and the body's framing.
    public var headers: HTTPHeaders
    /// The body.
    public var body: HTTPClientRequestBody
    /// Overrides whether the request may be sent twice (default: by method).
    public var idempotent: Bool?

    /// A request to `endpoint` for `target`.
    public init(method: String, endpoint: HTTPEndpoint, target: String, headers: HTTPHeaders = HTTPHeaders(),
                body: HTTPClientRequestBody = .empty) {
        self.method = method
        self.endpoint = endpoint
        self.target = target.isEmpty ? "/" : target
        self.headers = headers
        self.body = body
    }

    /// A request for an `http://` or `https://` URL (userinfo is ignored).
    /// - Throws: ``HTTPClientError`` `invalidURL`.
    public init(method: String, url: String, headers: HTTPHeaders = HTTPHeaders(), body: HTTPClientRequestBody = .empty) throws {
        guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = c.host, !host.isEmpty else {
            throw HTTPClientError(.invalidURL, host: URLComponents(string: url)?.host ?? "?", "not an http(s) URL with a host")
        }
        var target = c.percentEncodedPath.isEmpty ? "/" : c.percentEncodedPath
        if let q = c.percentEncodedQuery { target += "?" + q }
        self.init(method: method, endpoint: HTTPEndpoint(scheme: scheme, host: host, port: c.port), target: target,
                  headers: headers, body: body)
    }

    /// True when sending the request twice is harmless.
    public var isIdempotent: Bool {
        idempotent ?? ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"].contains(method.uppercased())
    }

    /// `scheme://host[:port]/target`, without credentials.
    public var url: String { "\(endpoint.scheme)://\(endpoint.hostHeader)\(target)" }
}
