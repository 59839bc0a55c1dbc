import Foundation
import WharfHTTPClient

/// Reads a blob from an offset with one streamed Get Blob (`x-ms-range: bytes=<offset>-`),
/// handing it out in chunks of at most ``AzureDriver/readChunkSize`` bytes: the socket is
/// read only when ``next()`` asks, so memory stays at one chunk whatever the blob's size.
/// A connection that fails or ends early mid-body is replaced by a Get Blob from the
/// current offset, pinned to the first answer's ETag (`If-Match`), up to three times in a
/// row without progress (as ``GCSReader`` does with the generation).
final class AzureReader: StorageReader, @unchecked Sendable {
    private let driver: AzureDriver
    private let path: String
    private let lock = NSLock()
    private var offset: Int64
    private let size: Int64
    private var etag: String?
    private var stream: HTTPClientResponseBody?
    private var closed = false
    private var failures = 0

    init(driver: AzureDriver, path: String, offset: Int64, size: Int64) {
        self.driver = driver
        self.path = path
        self.offset = offset
        self.size = size
    }

    func next() async throws -> Data? {
        while true {
            let current: (stream: HTTPClientResponseBody?, offset: Int64)? = lock.withLock {
                closed || offset >= size ? nil : (stream, offset)
            }
            guard let current else { return finish() }
            do {
                let s: HTTPClientResponseBody
                if let open = current.stream { s = open } else { s = try await open(from: current.offset) }
                let chunk = try await AzureClient.transport { try await s.read(max: driver.readChunkSize) } ?? Data()
                if chunk.isEmpty {
                    // The answer ended before the blob did: a cut connection, resumed below.
                    throw AzureError(status: 0, code: "truncatedBody", message: "blob ended early at byte \(current.offset) of \(size)")
                }
                let handedOut: Bool = lock.withLock {
                    if closed { return false }
                    offset += Int64(chunk.count)
                    failures = 0
                    return true
                }
                return handedOut ? chunk : finish()
            } catch let error as AzureError where error.status == 0 {
                let retry: Bool = lock.withLock {
                    stream?.close()
                    stream = nil
                    failures += 1
                    return !closed && failures <= 3
                }
                guard retry else { _ = finish(); throw driver.storageError(error, path: path, operation: "GetBlob") }
                try await Task.sleep(nanoseconds: UInt64(100_000_000 << min(failures, 4)))
            } catch {
                _ = finish()
                throw driver.storageError(error, path: path, operation: "GetBlob")
            }
        }
    }

    /// Closes the stream; nil, for `return finish()`.
    private func finish() -> Data? {
        let s: HTTPClientResponseBody? = lock.withLock { defer { stream = nil }; return stream }
        s?.close()
        return nil
    }

    /// Opens the Get Blob from `start` and keeps its stream.
    private func open(from start: Int64) async throws -> HTTPClientResponseBody {
        var headers = ["x-ms-range": "bytes=\(start)-"]
        if let etag = lock.withLock({ etag }) { headers["If-Match"] = etag }
        let opened = try await driver.client.openStream(blob: driver.blobName(path), headers: headers)
        let keep: Bool = lock.withLock {
            if closed { return false }
            if etag == nil { etag = opened.headers["etag"] }
            stream = opened.body
            return true
        }
        if !keep { opened.body.close() }
        return opened.body
    }

    func close() {
        let s: HTTPClientResponseBody? = lock.withLock { closed = true; defer { stream = nil }; return stream }
        s?.interrupt()
        s?.close()
    }
}
