import Foundation
import WharfHTTPClient

/// The reader object-store drivers share (GCS, Swift, Azure): an object read from an offset with one
/// streamed GET, handed out in chunks of at most `chunkSize` bytes. The socket is read only
/// when ``next()`` asks, so memory stays at one chunk. A connection that fails mid-body is
/// replaced by a GET from the current offset, pinned to what the first answer named (a GCS
/// generation, a Swift or Azure ETag), up to three times in a row without progress; so is an
/// answer that ends before the object does.
///
/// The driver supplies `open` (the GET from an offset, with the pin once there is one; it
/// returns the body and the pin its answer names), which failures are connection failures
/// worth a new GET, and how its errors become ``StorageError``s.
final class ResumingObjectReader: StorageReader, @unchecked Sendable {
    typealias Open = @Sendable (_ offset: Int64, _ pin: String?) async throws -> (body: HTTPClientResponseBody, pin: String?)

    private let chunkSize: Int
    private let open: Open
    private let isConnectionFailure: @Sendable (Error) -> Bool
    private let mapError: @Sendable (Error) -> Error
    private let lock = NSLock()
    private var offset: Int64
    private let end: Int64
    private var pin: String?
    private var stream: HTTPClientResponseBody?
    private var closed = false
    private var failures = 0

    init(offset: Int64, size: Int64, chunkSize: Int, open: @escaping Open,
         isConnectionFailure: @escaping @Sendable (Error) -> Bool, mapError: @escaping @Sendable (Error) -> Error) {
        self.offset = offset
        self.end = size
        self.chunkSize = chunkSize
        self.open = open
        self.isConnectionFailure = isConnectionFailure
        self.mapError = mapError
    }

    func next() async throws -> Data? {
        while true {
            let current: (stream: HTTPClientResponseBody?, offset: Int64)? = lock.withLock {
                closed || offset >= end ? nil : (stream, offset)
            }
            guard let current else { return finish() }
            do {
                let s: HTTPClientResponseBody
                if let open = current.stream { s = open } else { s = try await openStream(from: current.offset) }
                let chunk = try await s.read(max: chunkSize) ?? Data()
                // The answer ended before the object did: a cut connection, resumed below.
                if chunk.isEmpty { throw EndedEarly(offset: current.offset, size: end) }
                let handedOut: Bool = lock.withLock {
                    if closed { return false }
                    offset += Int64(chunk.count)
                    failures = 0
                    return true
                }
                return handedOut ? chunk : finish()
            } catch where error is HTTPClientError || error is EndedEarly || isConnectionFailure(error) {
                let retry: Bool = lock.withLock {
                    stream?.close()
                    stream = nil
                    failures += 1
                    return !closed && failures <= 3
                }
                guard retry else { throw mapError(error) }
                try await Task.sleep(nanoseconds: UInt64(100_000_000 << min(failures, 4)))
            } catch {
                _ = finish()
                throw mapError(error)
            }
        }
    }

    /// An answer whose body ended before the object's size.
    struct EndedEarly: Error, CustomStringConvertible {
        let offset: Int64
        let size: Int64
        var description: String { "the object's bytes ended early, at byte \(offset) of \(size)" }
    }

    /// Closes the stream; nil, for `return finish()`.
    private func finish() -> Data? {
        let s: HTTPClientResponseBody? = lock.withLock { defer { stream = nil }; return stream }
        s?.close()
        return nil
    }

    /// Opens the GET from `start` and keeps its stream.
    private func openStream(from start: Int64) async throws -> HTTPClientResponseBody {
        let answer = try await open(start, lock.withLock { pin })
        let keep: Bool = lock.withLock {
            if closed { return false }
            if pin == nil { pin = answer.pin }
            stream = answer.body
            return true
        }
        if !keep { answer.body.close() }
        return answer.body
    }

    func close() {
        let s: HTTPClientResponseBody? = lock.withLock { closed = true; defer { stream = nil }; return stream }
        s?.interrupt()
        s?.close()
    }
}
