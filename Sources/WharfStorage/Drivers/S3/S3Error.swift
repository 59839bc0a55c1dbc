import Foundation
import WharfHTTPClient

/// An S3 error answer or a transport failure, with the S3 error code when there is one.
public struct S3Error: Error, Sendable, CustomStringConvertible {
    /// HTTP status (0 when no answer came back).
    public var status: Int
    /// The S3 `<Code>` (`NoSuchKey`, `SlowDown`, ...), or a transport description.
    public var code: String
    /// The S3 `<Message>`, or the transport's description.
    public var message: String
    /// `S3 <code> (HTTP <status>): <message>`.
    public var description: String { "S3 \(code) (HTTP \(status)): \(message)" }
}

extension S3Error {
    /// A failure of the HTTP client (status 0), with the code S3 retries are decided on.
    init(transport e: HTTPClientError) {
        let code: String
        switch e.kind {
        case .hostNotFound: code = "HostNotFound"
        case .connectionRefused: code = "ConnectionRefused"
        case .connectFailed: code = "ConnectFailed"
        case .timeout: code = "Timeout"
        case .tls: code = "TLSFailure"
        case .connectionClosed, .truncatedBody: code = "ConnectionReset"
        case .malformedResponse: code = "MalformedResponse"
        case .proxy: code = "ProxyFailure"
        case .io: code = "SocketError"
        case .tooManyRedirects, .invalidURL: code = "RequestFailed"
        }
        self.init(status: 0, code: code, message: e.description)
    }
}

/// One S3 answer: status, headers (lower-case names) and the body.
struct S3Response: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data
}
