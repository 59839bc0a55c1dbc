import Foundation

/// A resumable writer on S3: a multipart upload whose parts are `chunksize` bytes (≥ 5 MiB).
///
/// Bytes are buffered until a whole part is ready, so at most one part (plus the caller's
/// chunk) is in memory. ``close()`` makes the content an ordinary object at the key
/// (CompleteMultipartUpload, with a smaller last part, or a plain PutObject when less than
/// one part was written). That is what makes a writer resumable from any replica: stat,
/// readers and a later `writer(append: true)` all see a plain object. `writer(append: true)`
/// gives an ``S3SegmentedWriter`` (which writes its segment with this type) except for a
/// plain object of 5 MiB or more, resumed here. Resuming, as
/// distribution does when the last part is small, starts a new multipart upload whose
/// first parts are a server-side UploadPartCopy of the existing object, or, when the
/// object is smaller than S3's 5 MiB minimum part, reads it back into the buffer. So the
/// bytes a session writes are sent to S3 once (plus a sub-5-MiB head read back and re-sent).
/// ``cancel()`` aborts the multipart upload and deletes the object.
final class S3Writer: StorageWriter, @unchecked Sendable {

    /// S3's smallest part (but the last): content at least this large is resumed by a
    /// server-side UploadPartCopy, smaller content is read back into the buffer.
    static let minimumPartSize: Int64 = 5 << 20

    private let driver: S3Driver
    private let path: String
    private var state = WriterState.open
    private let buffer: PartBuffer
    private var uploadID: String?
    private var parts: [(Int, String)] = []

    init(driver: S3Driver, path: String) {
        self.driver = driver
        self.path = path
        buffer = PartBuffer(partSize: driver.configuration.chunkSize, dirty: true)
    }

    private init(driver: S3Driver, path: String, resumedSize: Int64) {
        self.driver = driver
        self.path = path
        buffer = PartBuffer(partSize: driver.configuration.chunkSize, resumedSize: resumedSize, dirty: false)
    }

    /// A writer continuing the object at `path` (`existingSize` bytes).
    static func resume(driver: S3Driver, path: String, existingSize: Int64) async throws -> S3Writer {
        let w = S3Writer(driver: driver, path: path, resumedSize: existingSize)
        if existingSize < S3Writer.minimumPartSize {
            if existingSize > 0 { w.buffer.pending = try await driver.client.send("GET", key: driver.key(path)).body }
            guard Int64(w.buffer.pending.count) == existingSize else {
                throw S3Error(status: 0, code: "ConcurrentModification", message: "object changed size while resuming")
            }
        } else {
            let id = try await driver.createMultipartUpload(path)
            w.uploadID = id
            do {
                w.parts = try await driver.copyParts(from: path, size: existingSize, to: path, uploadID: id, firstPart: 1)
            } catch {
                await w.abort()
                throw error
            }
        }
        return w
    }

    var size: Int64 { buffer.written }

    func write(_ data: Data) async throws {
        try state.checkWritable(path)
        try await buffer.write(data) { part in
            try await driver.mapping(path, "UploadPart") { try await uploadPart(part) }
        }
    }

    private func uploadPart(_ body: Data) async throws {
        if uploadID == nil { uploadID = try await driver.createMultipartUpload(path) }
        let number = parts.count + 1
        let r = try await driver.client.send("PUT", key: driver.key(path),
                                             query: [("partNumber", String(number)), ("uploadId", uploadID!)], body: body)
        guard let etag = r.headers["etag"] else {
            throw S3Error(status: r.status, code: "MalformedResponse", message: "UploadPart answer without ETag")
        }
        parts.append((number, etag))
    }

    func close() async throws {
        try await finish(.closed)
    }

    func commit() async throws {
        try await finish(.committed)
    }

    /// Makes the content an object at the key (see the type's notes).
    private func finish(_ next: WriterState) async throws {
        guard try state.shouldFinish(next, path: path) else { return }
        try await driver.mapping(path, next == .committed ? "Commit" : "Close") {
            if uploadID != nil, !buffer.dirty {
                await abort() // resumed and left as it was: the object is unchanged
            } else if let id = uploadID {
                if !buffer.pending.isEmpty || parts.isEmpty { try await uploadPart(buffer.pending) }
                buffer.pending = Data()
                try await driver.completeMultipartUpload(path, uploadID: id, parts: parts)
            } else if buffer.dirty {
                _ = try await driver.client.send("PUT", key: driver.key(path), headers: driver.creationHeaders, body: buffer.pending)
            }
        }
        uploadID = nil
        parts = []
        buffer.pending = Data()
        state = next
    }

    func cancel() async throws {
        guard state != .cancelled else { return }
        state = .cancelled
        buffer.pending = Data()
        await abort()
        try await driver.mapping(path, "Cancel") {
            _ = try await driver.client.send("DELETE", key: driver.key(path), accept: [404])
        }
    }

    /// Aborts the multipart upload in progress, if any (best effort).
    private func abort() async {
        guard let id = uploadID else { return }
        uploadID = nil
        _ = try? await driver.client.send("DELETE", key: driver.key(path), query: [("uploadId", id)], accept: [404])
    }
}
