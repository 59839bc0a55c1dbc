import Foundation

/// The body of a streamed GET answer, read from its connection only as fast as the caller
/// asks (``read(max:)``), so a slow consumer holds back the socket rather than filling
/// memory. Read to the end, the connection goes back to the pool; closed early, it is closed.
///
/// One reader at a time calls ``read(max:)`` (on the transport's I/O threads);
/// ``interrupt()`` may come from any thread to wake a read blocked on the socket.
final class S3BodyStream: @unchecked Sendable {
    private let transport: S3SocketTransport
    private let connection: S3Connection
    private var reader: S3ResponseReader
    private let keepAlive: Bool
    private let lock = NSLock()
    private var finished = false
    /// Body bytes not read yet.
    private(set) var remaining: Int64

    init(transport: S3SocketTransport, connection: S3Connection, reader: S3ResponseReader, length: Int64, keepAlive: Bool) {
        self.transport = transport
        self.connection = connection
        self.reader = reader
        self.remaining = length
        self.keepAlive = keepAlive
        if length == 0 {
            finished = true
            transport.release(connection, reusable: keepAlive)
        }
    }

    /// Blocks until `max` bytes (or the rest of the body, when less) are read; empty at the end.
    /// - Throws: ``S3Error`` (status 0) when the connection fails or ends before the body does.
    func read(max: Int) throws -> Data {
        let want = Int(min(Int64(max), remaining))
        guard want > 0, !lock.withLock({ finished }) else { return Data() }
        var out = Data()
        out.reserveCapacity(want)
        do {
            while out.count < want { try reader.readBody(into: &out, max: want - out.count) }
        } catch {
            close()
            throw error
        }
        remaining -= Int64(want)
        if remaining == 0 {
            let mine: Bool = lock.withLock {
                if finished { return false }
                finished = true
                return true
            }
            if mine { transport.release(connection, reusable: keepAlive) }
        }
        return out
    }

    /// Wakes a read blocked on the socket; the caller then closes the stream.
    func interrupt() {
        lock.withLock { if !finished { connection.shutdown() } }
    }

    /// Drops the connection unless the body was read to the end (then it is pooled already).
    func close() {
        let mine: Bool = lock.withLock {
            if finished { return false }
            finished = true
            return true
        }
        if mine { connection.close() }
    }
}
