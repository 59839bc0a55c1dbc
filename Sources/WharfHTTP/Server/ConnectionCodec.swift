import Dispatch
import Foundation

/// A protocol engine on one connection (``HTTP1Codec`` or ``HTTP2Codec``), chosen after
/// the TLS handshake by ALPN, or on a plain h2c listener by ``PrefaceDetectingCodec``. The
/// connection owns the socket, the transport and the output queue; the codec turns bytes
/// into requests and responses into bytes. Every method is called on the connection's queue.
protocol ConnectionCodec: AnyObject {
    /// The transport is ready (handshake done).
    func start()
    /// Bytes read from the transport; the codec takes them all (copying what it keeps).
    func received(_ bytes: UnsafeRawBufferPointer)
    /// The peer closed its sending side.
    func inputEnded()
    /// Whether the connection should read from the socket now (backpressure).
    var wantsInput: Bool { get }
    /// When every byte the socket has next belongs to a request body of known length: the
    /// most bytes the connection may read into a buffer of its own and hand over whole with
    /// ``receivedBody(_:)`` (large reads, no copy into the codec); nil otherwise.
    var bodyReadLimit: Int? { get }
    /// Body bytes read as ``bodyReadLimit`` allowed (at most that many); the codec keeps the buffer.
    func receivedBody(_ data: Data)
    /// Queued output fell to `bufferedBytes` after a write.
    func outputProgressed(bufferedBytes: Int64)
    /// The server is shutting down: finish in-flight work, accept no new requests.
    func beginGracefulShutdown()
    /// The connection is gone: fail anything waiting on it.
    func connectionClosed()
    /// No request is in progress and no input is waiting: closing the connection now loses
    /// nothing (an idle keep-alive connection the server may close to admit a new one).
    var isIdle: Bool { get }
    /// When the codec next needs ``deadlineReached(_:)`` (idle, header and I/O timeouts).
    var deadline: DispatchTime? { get }
    /// Called by the connection's timer at or after ``deadline``.
    func deadlineReached(_ now: DispatchTime)
}

extension ConnectionCodec {
    var bodyReadLimit: Int? { nil }
    func receivedBody(_ data: Data) { data.withUnsafeBytes { received($0) } }
}

/// What a codec may ask of its connection.
protocol ConnectionContext: AnyObject {
    var queue: DispatchQueue { get }
    /// Runs HTTP/1.1 handler tasks on ``queue``.
    var executor: ConnectionExecutor { get }
    var configuration: HTTPServerConfiguration { get }
    var logger: Logger { get }
    var handler: HTTPHandler { get }
    var remoteAddress: String { get }
    var isTLS: Bool { get }
    /// The server's descriptor count: HTTP/2 admits a stream only when its file fits.
    var descriptors: DescriptorLedger { get }
    /// Bytes queued and not yet written.
    var bufferedOutputBytes: Int64 { get }
    /// Bytes written to the transport since the connection opened.
    var writtenOutputBytes: Int64 { get }
    /// Queues output; call ``flush()`` to start writing.
    func enqueue(_ item: OutputQueue.Item)
    /// Writes as much queued output as the socket takes now.
    func flush()
    /// Reading interest or the deadline may have changed.
    func stateChanged()
    /// Closes after queued output is written: half-close, brief drain of unread input, close.
    func closeGracefully()
    /// Closes an idle connection (nothing in flight): FIN and close without lingering.
    func closeNow()
    /// Closes now, dropping queued output.
    func abort(_ reason: String)
}
