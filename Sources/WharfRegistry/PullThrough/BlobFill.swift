import Foundation
import WharfAPI
import WharfCrypto
import WharfHTTP
import WharfStorage

/// One upstream fetch of one blob into storage, shared by every client that asked for it
/// while it runs (single flight).
///
/// The fetch runs in its own task, so a client that disconnects never aborts it. Each
/// client that joined before the first byte went out gets every chunk through its own
/// ``ChunkQueue`` as the bytes are hashed and written to an upload in storage; the blob is
/// committed (moved into the blob store and linked into the repository) only when its
/// digest matches. A client that arrives later waits for the commit and reads storage.
final class BlobFill: @unchecked Sendable {
    let digest: Digest
    private let lock = NSLock()
    private var subscribers: [ChunkQueue] = []
    private var started = false
    private var head: Result<Int64?, Error>?
    private var headWaiters: [CheckedContinuation<Int64?, Error>] = []
    private var done: Result<Void, Error>?
    private var doneWaiters: [CheckedContinuation<Void, Error>] = []

    init(digest: Digest) { self.digest = digest }

    /// A queue of the blob's chunks from the first byte, or nil when bytes already went out.
    func subscribe() -> ChunkQueue? {
        lock.withLock {
            guard !started, done == nil else { return nil }
            let q = ChunkQueue()
            subscribers.append(q)
            return q
        }
    }

    /// The blob's length as the upstream announced it (nil: unknown); throws the fetch's failure.
    func length() async throws -> Int64? {
        try await withCheckedThrowingContinuation { c in
            let known: Result<Int64?, Error>? = lock.withLock {
                if head == nil { headWaiters.append(c) }
                return head
            }
            if let known { c.resume(with: known) }
        }
    }

    /// Waits until the blob is committed (or the fetch failed).
    func completion() async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
            let known: Result<Void, Error>? = lock.withLock {
                if done == nil { doneWaiters.append(c) }
                return done
            }
            if let known { c.resume(with: known) }
        }
    }

    /// Fetches and commits: `open` gives the upstream's length and body reader; the bytes go
    /// to `name`'s upload in storage and to every subscriber.
    func run(context: RegistryContext, name: RepositoryName,
             open: () async throws -> (length: Int64?, read: () async throws -> Data?, close: () -> Void)) async {
        do {
            let source = try await open()
            defer { source.close() }
            resolveHead(.success(source.length))
            let (session, _) = try await BlobUploadSession.start(context: context, name: name)
            do {
                let writer = try await context.driver.writer(session.dataPath, append: false)
                let hasher = DigestHasher(digest.algorithm)
                var size: Int64 = 0
                do {
                    while let chunk = try await source.read() {
                        hasher.update(chunk)
                        try await writer.write(chunk)
                        size += Int64(chunk.count)
                        for q in lock.withLock({ started = true; return subscribers }) { await q.push(chunk) }
                    }
                    try await writer.close()
                } catch {
                    try? await writer.close()
                    throw error
                }
                if let expected = source.length, expected != size {
                    throw RegistryError(.sizeInvalid, detail: "upstream sent \(size) of \(expected) bytes of \(digest.string)")
                }
                if digest.algorithm == .sha256 { context.hashers.put(session.uuid, offset: size, hasher: hasher) }
                _ = try await session.complete(expecting: digest, knownSize: size)
            } catch {
                try? await session.cancel()
                throw error
            }
            finish(.success(()))
        } catch {
            resolveHead(.failure(error))
            finish(.failure(error))
        }
    }

    private func resolveHead(_ result: Result<Int64?, Error>) {
        let waiters: [CheckedContinuation<Int64?, Error>] = lock.withLock {
            guard head == nil else { return [] }
            head = result
            defer { headWaiters = [] }
            return headWaiters
        }
        for w in waiters { w.resume(with: result) }
    }

    private func finish(_ result: Result<Void, Error>) {
        let (queues, waiters) = lock.withLock { () -> ([ChunkQueue], [CheckedContinuation<Void, Error>]) in
            done = result
            defer { subscribers = []; doneWaiters = [] }
            return (subscribers, doneWaiters)
        }
        for q in queues {
            if case .failure(let e) = result { q.finish(e) } else { q.finish() }
        }
        for w in waiters { w.resume(with: result) }
    }
}

/// The fills running now, one per blob digest (single flight across every repository).
final class BlobFills: @unchecked Sendable {
    private let lock = NSLock()
    private var running: [Digest: BlobFill] = [:]

    /// The running fill of `digest`, or a new one (true) that the caller must start.
    func join(_ digest: Digest) -> (BlobFill, isNew: Bool) {
        lock.withLock {
            if let f = running[digest] { return (f, false) }
            let f = BlobFill(digest: digest)
            running[digest] = f
            return (f, true)
        }
    }

    /// Forgets `fill` once it has finished.
    func remove(_ fill: BlobFill) {
        lock.withLock { if running[fill.digest] === fill { running[fill.digest] = nil } }
    }
}
