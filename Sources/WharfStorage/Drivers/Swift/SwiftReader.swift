import Foundation
import WharfHTTPClient

/// Reads an object from an offset with one streamed GET (`Range` from the offset; an SLO
/// answers with its joined bytes), handing it out in chunks of at most
/// ``SwiftDriver/readChunkSize`` bytes. The socket is read only when ``next()`` asks, so
/// memory stays at one chunk. A connection that fails mid-body is replaced by a GET from the
/// current offset, pinned to the first answer's ETag (`If-Match`), up to three times in a
/// row without progress.
final class SwiftReader: StorageReader, @unchecked Sendable {
    private let driver: SwiftDriver
    private let path: String
    private let lock = NSLock()
    private var offset: Int64
    private let end: Int64
    private var etag: String?
    private var stream: HTTPClientResponseBody?
    private var closed = false
    private var failures = 0

    init(driver: SwiftDriver, path: String, offset: Int64, size: Int64) {
        self.driver = driver
        self.path = path
        self.offset = offset
        self.end = size
    }

    func next() async throws -> Data? {
        while true {
            let current: (stream: HTTPClientResponseBody?, offset: Int64)? = lock.withLock {
                closed || offset >= end ? nil : (stream, offset)
            }
            guard let current else { return finish() }
            do {
                let s: HTTPClientResponseBody
                if let open = current.stream { s = open } else { s = try await open(from: current.offset) }
                let chunk = try await SwiftClient.transport { try await s.read(max: driver.readChunkSize) } ?? Data()
                if chunk.isEmpty { return finish() }
                let handedOut: Bool = lock.withLock {
                    if closed { return false }
                    offset += Int64(chunk.count)
                    failures = 0
                    return true
                }
                return handedOut ? chunk : finish()
            } catch let error as SwiftError where error.status == 0 {
                let retry: Bool = lock.withLock {
                    stream?.close()
                    stream = nil
                    failures += 1
                    return !closed && failures <= 3
                }
                guard retry else { throw driver.storageError(error, path: path, operation: "Read") }
                try await Task.sleep(nanoseconds: UInt64(100_000_000 << min(failures, 4)))
            } catch {
                _ = finish()
                throw driver.storageError(error, path: path, operation: "Read")
            }
        }
    }

    /// Closes the stream; nil, for `return finish()`.
    private func finish() -> Data? {
        let s: HTTPClientResponseBody? = lock.withLock { defer { stream = nil }; return stream }
        s?.close()
        return nil
    }

    /// Opens the GET from `start` and keeps its stream.
    private func open(from start: Int64) async throws -> HTTPClientResponseBody {
        var headers = [("Range", "bytes=\(start)-")]
        if let etag = lock.withLock({ etag }) { headers.append(("If-Match", etag)) }
        let answer = try await driver.client.openStream(driver.client.resource(driver.key(path)), headers: headers)
        let keep: Bool = lock.withLock {
            if closed { return false }
            if etag == nil { etag = answer.headers["Etag"] }
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
