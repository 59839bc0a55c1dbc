import Foundation
import WharfHTTPClient

/// Reads an object from an offset with one streamed `alt=media` GET (`Range` from the
/// offset), handing it out in chunks of at most ``GCSDriver/readChunkSize`` bytes. The
/// socket is read only when ``next()`` asks, so memory stays at one chunk. A connection
/// that fails mid-body is replaced by a GET from the current offset, pinned to the first
/// answer's generation (`ifGenerationMatch`), up to three times in a row without progress.
final class GCSReader: StorageReader, @unchecked Sendable {
    private let driver: GCSDriver
    private let path: String
    private let lock = NSLock()
    private var offset: Int64
    private let end: Int64
    private var generation: String?
    private var stream: HTTPClientResponseBody?
    private var closed = false
    private var failures = 0

    init(driver: GCSDriver, path: String, offset: Int64, size: Int64) {
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
                let chunk = try await GCSClient.transport { try await s.read(max: driver.readChunkSize) } ?? Data()
                if chunk.isEmpty { return finish() }
                let handedOut: Bool = lock.withLock {
                    if closed { return false }
                    offset += Int64(chunk.count)
                    failures = 0
                    return true
                }
                return handedOut ? chunk : finish()
            } catch let error as GCSError where error.status == 0 {
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
        var q = [("alt", "media")]
        if let generation { q.append(("ifGenerationMatch", generation)) }
        let answer = try await driver.client.openStream(target: GCSClient.target(driver.client.objectPath(driver.key(path)), q),
                                                        headers: [("Range", "bytes=\(start)-")])
        let keep: Bool = lock.withLock {
            if closed { return false }
            if generation == nil { generation = answer.headers["x-goog-generation"] }
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
