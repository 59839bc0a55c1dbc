import Foundation

/// Writes a streamed response body. `write` suspends while the connection's send buffer
/// is full, so a producer can never run ahead of a slow client (bounded memory).
public protocol BodyWriter: AnyObject, Sendable {
    func write(_ data: Data) async throws
}

/// A region of an open file, sent with sendfile(2) on plain-HTTP connections and with
/// large buffered reads otherwise. The region owns its descriptor and closes it when released.
public final class FileRegion: @unchecked Sendable {
    public let descriptor: Int32
    public let offset: Int64
    public let length: Int64

    public init(descriptor: Int32, offset: Int64, length: Int64) {
        self.descriptor = descriptor
        self.offset = offset
        self.length = length
    }

    deinit { close(descriptor) }
}

/// What follows the response head.
public enum ResponseBody: Sendable {
    /// No body (`Content-Length: 0` unless the status forbids a body).
    case empty
    /// Bytes held in memory: small bodies only (JSON, manifests).
    case bytes(Data)
    /// A body produced while it is sent. With a `length` the response is sized,
    /// without one it is chunked (HTTP/1.1) or ended by END_STREAM (HTTP/2).
    case stream(length: Int64?, producer: @Sendable (BodyWriter) async throws -> Void)
    /// A file region (sendfile on plain HTTP).
    case file(FileRegion)

    /// The body's length when known in advance.
    public var knownLength: Int64? {
        switch self {
        case .empty: return 0
        case .bytes(let d): return Int64(d.count)
        case .stream(let length, _): return length
        case .file(let region): return region.length
        }
    }
}

/// A response: status, headers and body. The server adds `Content-Length` or
/// `Transfer-Encoding`, `Date` and `Connection` as the codec needs.
///
/// ```swift
/// return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: .bytes(Data("{}".utf8)))
/// ```
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: ResponseBody

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: ResponseBody = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response whose body is `text` as UTF-8.
    public static func text(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: .bytes(Data(text.utf8)))
    }

    /// The standard reason phrase for `status` (RFC 9110 §15).
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 206: return "Partial Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 416: return "Range Not Satisfiable"
        case 417: return "Expectation Failed"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(status)"
        }
    }
}
