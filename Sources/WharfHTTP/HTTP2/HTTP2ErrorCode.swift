/// HTTP/2 error codes (RFC 9113 §7).
public enum HTTP2ErrorCode: UInt32, Sendable {
    case noError = 0x0
    case protocolError = 0x1
    case internalError = 0x2
    case flowControlError = 0x3
    case settingsTimeout = 0x4
    case streamClosed = 0x5
    case frameSizeError = 0x6
    case refusedStream = 0x7
    case cancel = 0x8
    case compressionError = 0x9
    case connectError = 0xa
    case enhanceYourCalm = 0xb
    case inadequateSecurity = 0xc
    case http11Required = 0xd
}

/// A connection error (RFC 9113 §5.4.1): the connection ends with GOAWAY carrying ``code``.
public struct HTTP2ConnectionError: Error, Equatable, Sendable {
    /// The error code sent in GOAWAY.
    public let code: HTTP2ErrorCode
    /// Why, for logs and the GOAWAY debug data.
    public let reason: String
    /// An error with `code` and a reason for logs.
    public init(_ code: HTTP2ErrorCode, _ reason: String) {
        self.code = code
        self.reason = reason
    }
}
