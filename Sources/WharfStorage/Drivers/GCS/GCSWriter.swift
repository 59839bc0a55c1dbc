import Foundation

/// A resumable writer on GCS: a resumable upload session fed `chunksize` chunks (multiples
/// of 256 KiB), so at most one chunk (plus the caller's) is in memory.
///
/// Everything a replica needs to continue is in the bucket, never only in this process:
/// ``close()`` finishes the session, so the content is an ordinary object at the path,
/// which stat, readers and a later `writer(append: true)` on any replica see. An appending
/// writer uploads its bytes to a pending object `<name>#append-<uuid>` (a name no driver
/// path has, so listings never show it) and on close composes the existing object and the
/// pending one into the path server-side, then deletes the pending object: each byte is
/// sent once, nothing is read back. ``cancel()`` ends the session and deletes the content.
final class GCSWriter: StorageWriter, @unchecked Sendable {
    /// Separates an object's name from its pending parts' suffix (not a path character).
    static let pendingSeparator = "#"

    private let driver: GCSDriver
    private let path: String
    /// The object the session writes: the path's object, or a pending part when appending.
    private let target: String
    /// The size of the content being appended to (nil for a fresh writer).
    private let existingSize: Int64?
    private let lock = NSLock()
    private var state = WriterState.open
    private var buffer = Data()
    /// The resumable session's URI once the first chunk went out.
    private var session: String?
    /// Bytes the session holds.
    private var sent: Int64 = 0
    /// Bytes this writer was given.
    private var written: Int64 = 0

    init(driver: GCSDriver, path: String, existingSize: Int64?) {
        self.driver = driver
        self.path = path
        self.existingSize = existingSize
        let name = driver.key(path)
        target = existingSize == nil ? name : name + Self.pendingSeparator + "append-" + UUID().uuidString.lowercased()
    }

    var size: Int64 { lock.withLock { (existingSize ?? 0) + written } }

    func write(_ data: Data) async throws {
        try state.checkWritable(path)
        if data.isEmpty { return }
        lock.withLock { written += Int64(data.count) }
        let chunk = driver.configuration.chunkSize
        var chunks = ChunkBuffer(bytes: buffer)
        buffer = Data()
        defer { buffer = chunks.bytes }
        try await chunks.append(data, chunk: chunk) { whole in
            try await driver.mapping(path, "Upload") { try await sendChunk(whole, final: false) }
        }
    }

    /// Starts the resumable session for ``target``.
    private func startSession() async throws -> String {
        let q = [("uploadType", "resumable"), ("name", target)] + driver.creationQuery
        let r = try await driver.client.send("POST", target: GCSClient.target(driver.client.uploadPath, q),
                                             headers: [("X-Upload-Content-Type", "application/octet-stream")],
                                             body: Data(), idempotent: true)
        guard let location = r.headers["Location"] else {
            throw GCSError(status: r.status, message: "resumable upload answer without Location")
        }
        return location
    }

    /// Sends one chunk to the session (the last one with the total size).
    private func sendChunk(_ body: Data, final: Bool) async throws {
        if session == nil { session = try await startSession() }
        let total = final ? String(sent + Int64(body.count)) : "*"
        let range = body.isEmpty ? "bytes */\(total)" : "bytes \(sent)-\(sent + Int64(body.count) - 1)/\(total)"
        let request = try await driver.client.request("PUT", url: session!, headers: [("Content-Range", range)], body: body)
        let r = try await driver.client.send(request, accept: [308])
        if !final && r.status != 308 {
            throw GCSError(status: r.status, message: "resumable upload finished before its last chunk")
        }
        sent += Int64(body.count)
    }

    func close() async throws { try await finish(.closed) }

    func commit() async throws { try await finish(.committed) }

    /// Makes the content an ordinary object at the path (see the type's notes).
    private func finish(_ next: WriterState) async throws {
        guard try state.shouldFinish(next, path: path) else { return }
        try await driver.mapping(path, next == .committed ? "Commit" : "Close") {
            let wroteSomething = lock.withLock { written > 0 }
            if session != nil {
                try await sendChunk(buffer, final: true)
            } else if existingSize == nil || wroteSomething {
                try await driver.upload(name: target, buffer)
            }
            if existingSize != nil, wroteSomething {
                let name = driver.key(path)
                try await driver.compose([name, target], into: name)
                try await driver.deleteObject(name: target)
            }
        }
        session = nil
        buffer = Data()
        state = next
    }

    func cancel() async throws {
        guard state.cancel() else { return }
        buffer = Data()
        if let session {
            self.session = nil
            if let r = try? await driver.client.request("DELETE", url: session) { _ = try? await driver.client.send(r, accept: [404, 499]) }
        }
        try await driver.mapping(path, "Cancel") {
            if target != driver.key(path) { try await driver.deleteObject(name: target) }
            try await driver.deleteObject(name: driver.key(path))
        }
    }
}
