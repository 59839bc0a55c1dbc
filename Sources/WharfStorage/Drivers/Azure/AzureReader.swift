import Foundation
import WharfHTTPClient

/// Reads a blob from an offset with one streamed Get Blob (`x-ms-range: bytes=<offset>-`),
/// handing it out in chunks of at most ``AzureDriver/readChunkSize`` bytes: the socket is
/// read only when ``next()`` asks, so memory stays at one chunk whatever the blob's size.
final class AzureReader: StorageReader, @unchecked Sendable {
    private let driver: AzureDriver
    private let path: String
    private let lock = NSLock()
    private var offset: Int64
    private let size: Int64
    private var stream: HTTPClientResponseBody?
    private var closed = false

    init(driver: AzureDriver, path: String, offset: Int64, size: Int64) {
        self.driver = driver
        self.path = path
        self.offset = offset
        self.size = size
    }

    func next() async throws -> Data? {
        let state: (closed: Bool, stream: HTTPClientResponseBody?, offset: Int64) = lock.withLock { (closed, stream, offset) }
        if state.closed || state.offset >= size { close(); return nil }
        do {
            var s = state.stream
            if s == nil {
                let opened = try await driver.client.openStream(blob: driver.blobName(path),
                                                                headers: ["x-ms-range": "bytes=\(state.offset)-"])
                s = opened.body
                let keep = lock.withLock { () -> Bool in
                    if closed { return false }
                    stream = opened.body
                    return true
                }
                if !keep { opened.body.close(); return nil }
            }
            let chunk = try await AzureClient.transport { try await s!.read(max: driver.readChunkSize) }
            guard let chunk, !chunk.isEmpty else {
                if lock.withLock({ offset }) < size {
                    throw AzureError(status: 0, code: "truncatedBody", message: "blob ended early")
                }
                close()
                return nil
            }
            lock.withLock { offset += Int64(chunk.count) }
            return chunk
        } catch {
            close()
            throw driver.storageError(error, path: path, operation: "GetBlob")
        }
    }

    func close() {
        let s: HTTPClientResponseBody? = lock.withLock {
            closed = true
            defer { stream = nil }
            return stream
        }
        s?.close()
    }
}
