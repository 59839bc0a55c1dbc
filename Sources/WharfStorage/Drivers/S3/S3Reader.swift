import Foundation
import WharfHTTPClient

/// Reads an object from an offset with one GET whose body is streamed (``HTTPClientResponseBody``),
/// handing it out in chunks of at most ``S3Driver/readChunkSize`` bytes.
///
/// - The socket is read only when ``next()`` asks, so memory stays at one chunk plus the
///   kernel's socket buffer however slow the consumer is.
/// - A connection that fails mid-body is replaced by a GET with `Range: bytes=<offset>-`
///   and `If-Match` of the first answer's ETag (the object must not change under the
///   reader), up to ``S3Driver/readResumeAttempts`` times in a row without progress.
final class S3Reader: StorageReader, @unchecked Sendable {
    private let driver: S3Driver
    private let path: String
    private let lock = NSLock()
    private var offset: Int64
    /// Where the body ends (the size from the reader's HEAD until an answer says otherwise).
    private var end: Int64
    private var etag: String?
    private var stream: HTTPClientResponseBody?
    private var reading = false
    private var closed = false
    private var failures = 0

    init(driver: S3Driver, path: String, offset: Int64, size: Int64) {
        self.driver = driver
        self.path = path
        self.offset = offset
        self.end = size
    }

    func next() async throws -> Data? {
        while true {
            let current: (stream: HTTPClientResponseBody?, offset: Int64)? = lock.withLock {
                if closed || offset >= end { return nil }
                reading = true
                return (stream, offset)
            }
            guard let current else { return nil }
            var open = current.stream
            do {
                if open == nil { open = try await self.open(from: current.offset) }
                guard let s = open else { return finishReading(nil) }
                let chunkSize = driver.readChunkSize
                let chunk = try await S3Client.transport { try await s.read(max: chunkSize) } ?? Data()
                if chunk.isEmpty {
                    // The answer ended where the object does (it may have shrunk since the HEAD).
                    lock.withLock { end = offset }
                    return finishReading(nil)
                }
                let handedOut: Bool = lock.withLock {
                    reading = false
                    if closed { return false }
                    offset += Int64(chunk.count)
                    failures = 0
                    return true
                }
                if !handedOut { s.close(); return nil }
                return chunk
            } catch let error as S3Error where error.status == 0 {
                // A transport failure mid-body: resume from the offset on a fresh GET.
                open?.close()
                let retry: Bool = lock.withLock {
                    stream = nil
                    reading = false
                    failures += 1
                    return !closed && failures <= driver.readResumeAttempts
                }
                if lock.withLock({ closed }) { return nil }
                guard retry else { throw driver.storageError(error, path: path, operation: "GetObject") }
                try await driver.client.backoff(failures)
            } catch {
                open?.close()
                lock.withLock { stream = nil; reading = false }
                if lock.withLock({ closed }) { return nil }
                throw driver.storageError(error, path: path, operation: "GetObject")
            }
        }
    }

    private func finishReading(_ value: Data?) -> Data? {
        let s: HTTPClientResponseBody? = lock.withLock {
            reading = false
            defer { stream = nil }
            return stream
        }
        s?.close()
        return value
    }

    /// GETs the object from `start` and keeps the stream (nil when there is nothing to read).
    private func open(from start: Int64) async throws -> HTTPClientResponseBody? {
        var headers: [String: String] = [:]
        if start > 0 { headers["range"] = "bytes=\(start)-" }
        if let etag { headers["if-match"] = etag }
        let (response, opened) = try await driver.client.openStream(key: driver.key(path), headers: headers, accept: [412, 416])
        guard let s = opened else {
            if response.status == 416 {
                lock.withLock { end = start }  // the object is shorter than the reader's offset now
                return nil
            }
            throw StorageError.unknown(driver: "s3", message: "GetObject \(path): the object changed while it was read")
        }
        if start > 0 {
            guard response.status == 206, let range = response.headers["content-range"], Self.rangeStart(range) == start else {
                s.close()
                throw StorageError.unknown(driver: "s3", message: "GetObject \(path): range not honoured (HTTP \(response.status))")
            }
        }
        let keep: Bool = lock.withLock {
            if closed { return false }
            if etag == nil { etag = response.headers["etag"] }
            end = start + (s.remaining ?? 0)
            stream = s
            return true
        }
        if !keep { s.close(); return nil }
        return s
    }

    /// The first byte of a `Content-Range: bytes <first>-<last>/<total>` value.
    static func rangeStart(_ value: String) -> Int64? {
        guard let space = value.firstIndex(of: " "), let dash = value.firstIndex(of: "-") , space < dash else { return nil }
        return Int64(value[value.index(after: space)..<dash])
    }

    func close() {
        let s: HTTPClientResponseBody? = lock.withLock {
            closed = true
            return stream
        }
        guard let s else { return }
        // A read blocked on the socket is woken; it closes the stream when it returns.
        if lock.withLock({ reading }) { s.interrupt() } else { s.close() }
    }
}
