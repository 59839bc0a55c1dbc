import Foundation
import WharfHTTP

/// An answer: status, headers, and a body read at the caller's pace.
public struct HTTPClientResponse: Sendable {
    /// The status code.
    public let status: Int
    /// The header fields as received.
    public let headers: HTTPHeaders
    /// The body, streamed from the connection (read it to the end or close it).
    public let body: HTTPClientResponseBody
}

/// An answer's body, read from its connection only as fast as the caller asks, so memory
/// stays at one chunk however large the body or slow the consumer.
///
/// Read to the end, the connection goes back to the pool; closed early, or failed, it is
/// closed. A connection that ends before the body does throws ``HTTPClientError``
/// `truncatedBody`, never a silent short body.
///
/// ```swift
/// for try await chunk in response.body { try sink.write(chunk) }
/// let json = try await response.body.collect(upTo: 1 << 20)
/// ```
public final class HTTPClientResponseBody: AsyncSequence, @unchecked Sendable {
    public typealias Element = Data

    private let pool: ConnectionPool?
    private var reader: ResponseBodyReader?
    private let lock = NSLock()
    private var finished = false
    private var reading = false
    /// The `Content-Length` of the body (nil when chunked or delimited by close).
    public let expectedLength: Int64?

    init(reader: ResponseBodyReader, pool: ConnectionPool) {
        self.reader = reader
        self.pool = pool
        expectedLength = reader.remaining
        if reader.isDone { finish(reusable: true) }
    }

    /// Bytes of a Content-Length body not read yet (nil when unknown).
    public var remaining: Int64? { lock.withLock { finished ? 0 : reader?.remaining } }

    /// Reads up to `max` bytes (fewer only at the end); nil at the end of the body.
    /// - Throws: ``HTTPClientError`` when the connection fails or ends early.
    public func read(max: Int = 256 * 1024) async throws -> Data? {
        guard let pool, let r = lock.withLock({ finished || reading ? nil : reader }) else { return nil }
        lock.withLock { reading = true }
        do {
            let chunk = try await pool.io.run { () throws -> (Data, ResponseBodyReader) in
                var local = r
                let d = try local.read(max: Swift.max(1, max))
                return (d, local)
            }
            let done = lock.withLock { () -> Bool in
                reading = false
                reader = chunk.1
                return chunk.1.isDone
            }
            if done { finish(reusable: true) }
            return chunk.0.isEmpty ? nil : chunk.0
        } catch var error as HTTPClientError {
            lock.withLock { reading = false }
            finish(reusable: false)
            error.responseStarted = true
            throw error
        } catch {
            lock.withLock { reading = false }
            finish(reusable: false)
            throw error
        }
    }

    /// Reads the whole body, failing when it is longer than `limit` bytes.
    public func collect(upTo limit: Int) async throws -> Data {
        var out = Data()
        while let chunk = try await read(max: Swift.max(1, Swift.min(256 * 1024, limit - out.count + 1))) {
            out.append(chunk)
            if out.count > limit {
                close()
                throw HTTPClientError(.io, host: reader?.connection.endpoint.description ?? "-", "answer body larger than \(limit) bytes",
                                      responseStarted: true)
            }
        }
        return out
    }

    /// Wakes a read blocked on the socket (from any thread); the reader then sees an error.
    public func interrupt() {
        lock.withLock { if !finished { reader?.connection.interrupt() } }
    }

    /// Drops the connection unless the body was read to the end (then it is pooled already).
    public func close() { finish(reusable: false) }

    private func finish(reusable: Bool) {
        let connection: ClientConnection? = lock.withLock {
            if finished { return nil }
            finished = true
            return reader?.connection
        }
        guard let connection else { return }
        if reusable, reader?.keepAlive == true { pool?.release(connection) } else { connection.close() }
    }

    deinit {
        if !finished, let c = reader?.connection { c.close() }
    }

    /// Iterates the body chunk by chunk.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let body: HTTPClientResponseBody
        /// The next chunk, nil at the end.
        public mutating func next() async throws -> Data? { try await body.read() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }
}
