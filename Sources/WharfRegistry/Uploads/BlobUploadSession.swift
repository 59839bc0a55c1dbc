import Foundation
import WharfAPI
import WharfCrypto
import WharfHTTP
import WharfStorage

/// One blob upload in progress, entirely in storage (`_uploads/<uuid>/data` and
/// `startedat`), so any replica or a restarted process can continue it.
///
/// ```swift
/// let session = try await BlobUploadSession.start(context: ctx, name: name)
/// let size = try await session.append(request.body)
/// try await session.complete(expecting: digest)   // verifies, moves to blobs/, links into the repo
/// ```
struct BlobUploadSession: Sendable {
    let context: RegistryContext
    let name: RepositoryName
    let uuid: String

    var driver: StorageDriver { context.driver }
    var dataPath: String { context.paths.uploadData(name, uuid) }
    var directory: String { context.paths.uploadDirectory(name, uuid) }

    /// Creates a new upload: `startedat` and an empty `data`. When that fails (a full disk)
    /// nothing is left behind: the client never learns the id, so it could not be resumed.
    static func start(context: RegistryContext, name: RepositoryName) async throws -> (BlobUploadSession, startedAt: String) {
        let uuid = UUID().uuidString.lowercased()
        let session = BlobUploadSession(context: context, name: name, uuid: uuid)
        let startedAt = Self.rfc3339(Date())
        // Scratch (no fsync): after a crash the client starts the upload over, as it must
        // anyway for the data, which is not synced before the commit either.
        do {
            try await context.driver.putScratchContent(context.paths.uploadStartedAt(name, uuid), Data(startedAt.utf8),
                                                       capabilities: context.storage)
            try await context.driver.putScratchContent(session.dataPath, Data(), capabilities: context.storage)
        } catch {
            try? await context.driver.delete(session.directory)
            throw error
        }
        return (session, startedAt)
    }

    /// True for ids that are safe as one storage path component.
    static func isValidID(_ id: String) -> Bool {
        let b = id.utf8
        return !b.isEmpty && b.count <= 128 && b.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
        }
    }

    /// Bytes received so far, or nil when no such upload exists.
    func currentSize() async throws -> Int64? {
        do {
            return try await driver.stat(dataPath).size
        } catch StorageError.pathNotFound {
            // A distribution upload on an object store may have `startedat` but no data yet.
            return try await context.links.exists(context.paths.uploadStartedAt(name, uuid)) ? 0 : nil
        }
    }

    /// The upload's start time as stored, or now when unreadable.
    func startedAt() async -> String {
        if let data = try? await driver.getContent(context.paths.uploadStartedAt(name, uuid)) {
            return String(decoding: data, as: UTF8.self)
        }
        return Self.rfc3339(Date())
    }

    /// Streams `body` to the end of the upload's data while hashing it; returns the new size.
    /// `validate` sees the size before any byte is read (Content-Range checks) and may throw.
    /// On a failed read the bytes that reached storage stay; the client resumes from there.
    /// An upload that does not exist throws `BLOB_UPLOAD_UNKNOWN` (no separate check needed).
    func append(_ body: RequestBody, validate: (Int64) throws -> Void = { _ in }) async throws -> Int64 {
        let writer: StorageWriter
        do {
            writer = try await driver.writer(dataPath, append: true)
        } catch StorageError.pathNotFound {
            // A distribution upload on an object store may have `startedat` but no data yet.
            guard try await context.links.exists(context.paths.uploadStartedAt(name, uuid)) else {
                throw RegistryError(.blobUploadUnknown, detail: String(uuid.prefix(128)))
            }
            writer = try await driver.writer(dataPath, append: false)
        }
        let start = writer.size
        do {
            try validate(start)
        } catch {
            try? await writer.close()
            throw error
        }
        let cached = context.hashers.take(uuid, offset: start)
        var hasher: DigestHasher?
        do {
            let h: DigestHasher
            if let cached { h = cached } else { h = try await rehash(upTo: start, .sha256) }
            hasher = h
            while let chunk = try await body.next() {
                // Hash first, while the chunk is fresh in this core's cache; drivers whose
                // writes are slow return from `write` before they finish (the filesystem
                // writer is one chunk behind), so the next read and hash overlap the write.
                h.update(chunk)
                try await writer.write(chunk)
            }
        } catch {
            try? await writer.close()
            throw error
        }
        try await writer.close()
        let size = writer.size
        if let hasher { context.hashers.put(uuid, offset: size, hasher: hasher) }
        return size
    }

    /// Verifies the whole upload against `digest`, moves it into the blob store and links
    /// it into the repository. On a mismatch the upload is deleted (as distribution does)
    /// and `DIGEST_INVALID` is thrown. Returns the blob's size. `knownSize` is the size an
    /// ``append(_:validate:)`` of this request just returned (saves a `stat`).
    func complete(expecting digest: Digest, knownSize: Int64? = nil) async throws -> Int64 {
        var found = knownSize
        if found == nil { found = try await currentSize() }
        guard let size = found else {
            throw RegistryError(.blobUploadUnknown, detail: uuid)
        }
        var hasher = digest.algorithm == .sha256 ? context.hashers.take(uuid, offset: size) : nil
        if hasher == nil { hasher = try await rehash(upTo: size, digest.algorithm) }
        let computed = hasher?.finalizeHex() ?? ""
        guard ConstantTime.equals(computed, digest.hex) else {
            try await cancel()
            throw RegistryError(.digestInvalid, detail: "upload content has digest \(digest.algorithm.rawValue):\(computed), not \(digest.string)")
        }
        let store = BlobStore(context: context)
        if try await store.globalSize(digest) == nil {
            do {
                try await driver.move(from: dataPath, to: context.paths.blobData(digest))
            } catch StorageError.pathNotFound {
                try await driver.putContent(context.paths.blobData(digest), Data())
            }
        }
        try await store.link(name, digest)
        try await cancel()
        return size
    }

    /// Deletes the upload's directory; false when it was already gone.
    @discardableResult
    func cancel() async throws -> Bool {
        context.hashers.remove(uuid)
        return try await context.links.delete(directory)
    }

    /// A fresh hash over the first `size` bytes already in storage (a hasher cache miss).
    func rehash(upTo size: Int64, _ algorithm: DigestAlgorithm) async throws -> DigestHasher {
        let hasher = DigestHasher(algorithm)
        guard size > 0 else { return hasher }
        let reader = try await driver.reader(dataPath, offset: 0)
        defer { reader.close() }
        var remaining = size
        while remaining > 0, let chunk = try await reader.next() {
            let take = Int(min(Int64(chunk.count), remaining))
            hasher.update(take == chunk.count ? chunk : chunk.prefix(take))
            remaining -= Int64(take)
        }
        guard remaining == 0 else {
            throw StorageError.invalidOffset(path: dataPath, offset: size - remaining)
        }
        return hasher
    }

    static func rfc3339(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }
}
