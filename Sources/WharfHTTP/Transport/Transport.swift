import Foundation

/// The outcome of one non-blocking transport operation.
package enum TransportResult {
    /// `n` bytes were moved (`n > 0`).
    case bytes(Int)
    /// Nothing can move now; retry when the socket is readable (`wantsRead`) or writable.
    case wouldBlock(wantsRead: Bool)
    /// The peer closed its side cleanly.
    case closed
    /// A fatal error; the connection must be closed.
    case failed(String)
}

/// The byte pipe under a codec: a plain TCP socket or TLS over one. Every call is
/// non-blocking and made on the owning connection's queue (the server's); WharfHTTPClient
/// uses the same transports over blocking sockets with send/receive timeouts, where
/// `wouldBlock` means the timeout expired.
package protocol Transport: AnyObject {
    /// The socket descriptor (registered with an ``EventLoop``).
    var descriptor: Int32 { get }
    var isTLS: Bool { get }
    /// The ALPN protocol agreed during the handshake, if any.
    var negotiatedProtocol: String? { get }
    /// Advances the handshake; `.bytes(0)` when it is complete (plain: immediately).
    func handshake() -> TransportResult
    /// Reads into `buffer`.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> TransportResult
    /// Writes as much of `buffers` (in order) as possible.
    func write(_ buffers: [UnsafeRawBufferPointer]) -> TransportResult
    /// Sends `count` bytes of `file` from `offset` (sendfile on plain sockets).
    func sendFile(_ file: Int32, offset: Int64, count: Int) -> TransportResult
    /// True when decrypted bytes are waiting beyond what the socket reports.
    var hasBufferedInput: Bool { get }
    /// Ends our sending direction (TLS close_notify, then TCP FIN) while still reading.
    func shutdownWrite()
    /// Releases resources; the descriptor is closed by the owner.
    func close()
}
