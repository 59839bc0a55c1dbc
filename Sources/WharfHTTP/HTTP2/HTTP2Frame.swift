/// One decoded HTTP/2 frame (RFC 9113 §6), padding removed.
public enum HTTP2Frame: Equatable, Sendable {
    /// DATA: `flowLength` is the whole payload length (padding included) for flow control.
    case data(stream: UInt32, payload: [UInt8], endStream: Bool, flowLength: Int)
    /// HEADERS: a header block fragment; priority fields are parsed and ignored.
    case headers(stream: UInt32, fragment: [UInt8], endStream: Bool, endHeaders: Bool)
    /// PRIORITY (deprecated in RFC 9113): accepted and ignored.
    case priority(stream: UInt32)
    /// RST_STREAM: the peer ends one stream with an error code.
    case rstStream(stream: UInt32, code: UInt32)
    /// SETTINGS, or its acknowledgement (no parameters).
    case settings(ack: Bool, parameters: [HTTP2Setting])
    /// PUSH_PROMISE: a client must never send one (connection PROTOCOL_ERROR).
    case pushPromise(stream: UInt32)
    /// PING (8 opaque bytes) or its ACK.
    case ping(ack: Bool, data: [UInt8])
    /// GOAWAY: the peer stops; streams above `lastStream` were not processed.
    case goAway(lastStream: UInt32, code: UInt32, debug: [UInt8])
    /// WINDOW_UPDATE for a stream, or the connection when `stream` is 0.
    case windowUpdate(stream: UInt32, increment: UInt32)
    /// CONTINUATION: more of a header block started by HEADERS.
    case continuation(stream: UInt32, fragment: [UInt8], endHeaders: Bool)
    /// A frame type this endpoint does not know: ignored (§5.5).
    case unknown(type: UInt8, stream: UInt32)

    /// Frame type codes.
    public enum Kind: UInt8, Sendable {
        case data = 0, headers = 1, priority = 2, rstStream = 3, settings = 4, pushPromise = 5, ping = 6,
             goAway = 7, windowUpdate = 8, continuation = 9
    }

    /// Flag bits.
    public enum Flag {
        public static let endStream: UInt8 = 0x1
        public static let ack: UInt8 = 0x1
        public static let endHeaders: UInt8 = 0x4
        public static let padded: UInt8 = 0x8
        public static let priority: UInt8 = 0x20
    }
}

/// One SETTINGS parameter (RFC 9113 §6.5.2).
public struct HTTP2Setting: Equatable, Sendable {
    /// The parameter (one of the constants below, or unknown and ignored).
    public var identifier: UInt16
    public var value: UInt32
    /// A parameter and its value.
    public init(_ identifier: UInt16, _ value: UInt32) {
        self.identifier = identifier
        self.value = value
    }

    /// SETTINGS parameter identifiers (RFC 9113 §6.5.2).
    public static let headerTableSize: UInt16 = 0x1
    public static let enablePush: UInt16 = 0x2
    public static let maxConcurrentStreams: UInt16 = 0x3
    public static let initialWindowSize: UInt16 = 0x4
    public static let maxFrameSize: UInt16 = 0x5
    public static let maxHeaderListSize: UInt16 = 0x6
}
