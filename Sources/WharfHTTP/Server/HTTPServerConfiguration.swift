import Foundation

/// TLS settings of a listener (`http.tls.*` in config.yml).
public struct TLSConfiguration: Sendable, Equatable {
    /// PEM certificate chain file.
    public var certificatePath: String
    /// PEM private key file.
    public var keyPath: String
    /// Lowest protocol version accepted: `tls1.2` (default) or `tls1.3`.
    public var minimumVersion: String
    /// ALPN protocols offered, most preferred first (`h2` selects HTTP/2 when ``HTTP2Configuration/enabled``).
    public var alpnProtocols: [String]
    /// PEM files of the CAs whose client certificates are accepted; not empty: every client
    /// must present a certificate one of them issued (mutual TLS).
    public var clientCAPaths: [String] = []
    /// With ``clientCAPaths``: false lets clients without a certificate in (a certificate
    /// that is sent must still verify).
    public var clientCertificateRequired: Bool = true
    /// OpenSSL cipher list for TLS 1.2 (`ECDHE-RSA-AES128-GCM-SHA256:...`); empty: OpenSSL's defaults.
    public var cipherList: String = ""
    /// OpenSSL TLS 1.3 suites (`TLS_AES_128_GCM_SHA256:...`); empty: OpenSSL's defaults.
    public var cipherSuites: String = ""

    public init(certificatePath: String, keyPath: String, minimumVersion: String = "tls1.2",
                alpnProtocols: [String] = ["http/1.1"]) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.minimumVersion = minimumVersion
        self.alpnProtocols = alpnProtocols
    }
}

/// Every limit the server enforces, each configurable. Defaults suit a registry.
public struct HTTPLimits: Sendable, Equatable {
    /// Request line plus all header fields, in bytes (431 past it).
    public var maxHeaderBytes: Int = 64 * 1024
    /// The request line alone (HTTP/2: the `:path`), in bytes without its CRLF: 414 URI Too
    /// Long past it, checked before ``maxHeaderBytes``. It bounds, e.g., the `?tag=`
    /// parameters of one multi-tag manifest push.
    public var maxRequestLineBytes: Int = 8 * 1024
    /// Number of header fields (431 past it).
    public var maxHeaderCount: Int = 128
    /// A keep-alive connection with no request in progress is closed after this many seconds.
    public var idleTimeout: Double = 60
    /// A request head must arrive completely within this many seconds of its first byte (slowloris).
    public var headerTimeout: Double = 10
    /// A body read or response write that makes no progress for this long aborts the connection.
    public var ioTimeout: Double = 120
    /// Open connections at most (about 6 KB each when idle: 10,000 cost about 60 MB). At the
    /// limit the connection idle the longest is closed to admit a new one; only when every
    /// connection is busy do new ones go to ``reservedConnections``, then get 503.
    /// Lowered at start when the open-file limit cannot hold it (half of `RLIMIT_NOFILE`).
    public var maxConnections: Int = 10_000
    /// Slots over ``maxConnections`` for when every connection is busy, so a health probe
    /// still gets its answer; a connection admitted to one is closed after one request.
    public var reservedConnections: Int = 16
    /// Request body cap for routes that set none (nil: unlimited).
    public var defaultMaxBodySize: Int64? = nil
    /// When a handler answered without reading the whole body, up to this many remaining
    /// bytes are read and discarded to keep the connection; more and the connection is closed.
    public var drainLimit: Int64 = 256 * 1024
    /// Bytes buffered per connection in either direction before backpressure applies.
    public var bufferSize: Int = 256 * 1024

    public init() {}
}

/// Where and how an ``HTTPServer`` listens.
public struct HTTPServerConfiguration: Sendable, Equatable {
    /// Address to bind: empty or `0.0.0.0` for all IPv4, `::` for all, or a literal IP.
    public var host: String
    /// TCP port; 0 picks a free one (see ``HTTPServer/localPort``).
    public var port: Int
    public var tls: TLSConfiguration?
    public var limits: HTTPLimits
    /// HTTP/2 on this listener (``HTTP2Configuration/enabled`` and its limits).
    public var http2 = HTTP2Configuration()

    public init(host: String = "", port: Int = 5000, tls: TLSConfiguration? = nil, limits: HTTPLimits = HTTPLimits()) {
        self.host = host
        self.port = port
        self.tls = tls
        self.limits = limits
    }

    /// Parses distribution's `http.addr` form: `:5000`, `0.0.0.0:5000`, `[::1]:5000`, `localhost:5000`.
    public static func parseAddress(_ addr: String) -> (host: String, port: Int)? {
        var s = Substring(addr)
        var host: Substring
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return nil }
            host = s[s.index(after: s.startIndex)..<close]
            s = s[s.index(after: close)...]
            guard s.hasPrefix(":") else { return nil }
            s = s.dropFirst()
        } else {
            guard let colon = s.lastIndex(of: ":") else { return nil }
            host = s[..<colon]
            s = s[s.index(after: colon)...]
        }
        guard let port = Int(s), (0...65535).contains(port) else { return nil }
        return (String(host), port)
    }
}
