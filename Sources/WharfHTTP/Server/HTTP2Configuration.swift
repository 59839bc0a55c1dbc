/// HTTP/2 settings and defences of a server (RFC 9113). Defaults suit a registry.
public struct HTTP2Configuration: Sendable, Equatable {
    /// Offer `h2` by ALPN on TLS listeners and accept the h2c preface on plain ones.
    public var enabled: Bool = true
    /// SETTINGS_MAX_CONCURRENT_STREAMS: streams a client may have open; more are refused (REFUSED_STREAM).
    public var maxConcurrentStreams: Int = 100
    /// SETTINGS_INITIAL_WINDOW_SIZE: request body bytes a client may send per stream before the handler reads them.
    public var initialStreamWindow: Int = 256 * 1024
    /// Request body bytes a client may have in flight over all streams of a connection.
    public var connectionWindow: Int = 1 << 20
    /// SETTINGS_MAX_FRAME_SIZE this server accepts.
    public var maxFrameSize: Int = 16384
    /// SETTINGS_HEADER_TABLE_SIZE: the HPACK dynamic table a client may use (HPACK bomb bound).
    public var headerTableSize: Int = 4096
    /// Frames one header block may span (HEADERS plus CONTINUATIONs); more is a CONTINUATION flood.
    public var maxHeaderBlockFrames: Int = 32
    /// Streams a client may reset (or have refused) per ``abuseInterval`` before the
    /// connection ends with ENHANCE_YOUR_CALM (rapid reset, CVE-2023-44487).
    public var maxResetsPerInterval: Int = 200
    /// SETTINGS, PING, PRIORITY, empty DATA and unknown frames a client may send per ``abuseInterval``.
    public var maxControlFramesPerInterval: Int = 1000
    /// The window, in seconds, of the two rate limits above.
    public var abuseInterval: Double = 10
    /// Seconds a stream's response may wait for the client's flow-control window without
    /// progress before the stream alone is reset (CANCEL), however long `ioTimeout` is: a
    /// client that opens streams at a zero window must not hold their open files for long.
    public var flowControlTimeout: Double = 30

    /// The defaults above.
    public init() {}
}
