import Foundation

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

/// One S3 answer: status, headers (lower-case names) and the body.
struct S3Response: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data
}
