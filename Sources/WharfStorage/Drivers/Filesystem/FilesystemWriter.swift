#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import WharfSystem

/// Appends to a file opened by ``FilesystemDriver/writer(_:append:)``.
///
/// Bytes go straight to the file (no buffering beyond the caller's `Data`), so the content
/// is resumable after ``close()`` from any process sharing the volume: a new writer with
/// `append: true` starts at the file's size. ``commit()`` fsyncs the file and its
/// directory, ``cancel()`` deletes.
///
/// Writes are behind by one: ``write(_:)`` hands the chunk to a storage I/O thread and
/// returns once the previous chunk is on its way to the file, so the caller reads and hashes
/// the next chunk while this one is written (one thread hand-off per chunk, at most one
/// chunk held). A failed write is reported by the next ``write(_:)``, ``close()`` or
/// ``commit()``.
///
/// With `directWrites`, an upload that has taken ``DirectWriteStaging/bufferSize`` bytes
/// switches to `O_DIRECT`: bytes are copied into aligned buffers and written past the page
/// cache while the next buffer fills (see ``DirectWritePipeline``). ``close()`` writes what
/// is left, so the next writer, in this process or another, finds every accepted byte.
final class FilesystemWriter: StorageWriter, @unchecked Sendable {

    private let lock = NSLock()
    private var fd: Int32
    private var state = WriterState.open
    private var written: Int64
    private let hostPath: String
    private let path: String
    private let io: BlockingIOQueue
    /// A write handed to ``io`` and not finished yet; its waiter; the error it left.
    private var inFlight = false
    private var waiter: CheckedContinuation<Void, Never>?
    private var failure: Error?
    /// Whether this writer may switch to direct writes (the driver's setting and what the
    /// filesystem accepted so far).
    private let directAllowed: DirectWriteSupport?
    /// The direct-write machinery once the upload has switched to `O_DIRECT`.
    private var pipeline: DirectWritePipeline?

    init(fd: Int32, size: Int64, hostPath: String, path: String, io: BlockingIOQueue, directWrites: DirectWriteSupport? = nil) {
        self.fd = fd
        self.written = size
        self.hostPath = hostPath
        self.path = path
        self.io = io
        self.directAllowed = directWrites
    }

    deinit {
        // A pipeline's last write holds a reference to this writer, so none is in flight.
        if fd >= 0 { POSIXFileSystem.closeDescriptor(fd) }
    }

    var size: Int64 {
        lock.lock()
        defer { lock.unlock() }
        return written
    }

    func write(_ data: Data) async throws {
        if pipeline == nil, let support = directAllowed, support.isEnabled,
           size + Int64(data.count) >= Int64(DirectWriteStaging.bufferSize) {
            try await startDirect(support)
        }
        try await settle()
        // Accepted bytes count at once (``size``); a finished writer refuses them here.
        try withOpenDescriptor { _ in
            if data.isEmpty { return }
            inFlight = true
            written += Int64(data.count)
        }
        if data.isEmpty { return }
        io.enqueue {
            var full: DirectWritePipeline.FullBuffer?
            let outcome: Result<Void, Error>
            if let pipeline = self.pipeline {
                // Only the copy into the aligned buffers: the disk write follows below,
                // after the uploader has been let go.
                outcome = Result { full = try pipeline.accept(data) }
            } else {
                outcome = Result { try self.withOpenDescriptor { fd in
                    try POSIXFileSystem.writeAll(fd: fd, data, path: self.path)
                } }
            }
            self.lock.lock()
            self.inFlight = false
            if case .failure(let error) = outcome {
                self.written -= Int64(data.count)
                if let at = self.pipeline?.failedAt { self.written = min(self.written, at) }
                if self.failure == nil { self.failure = error }
            }
            let waiter = self.waiter
            self.waiter = nil
            self.lock.unlock()
            waiter?.resume()
            if let full { self.pipeline?.drain(full) }
        }
    }

    /// Switches to staged direct writes: waits for the buffered write in flight, sets
    /// `O_DIRECT` (a filesystem that refuses it keeps this writer, and the driver's later
    /// ones, buffered) and loads the file's last partial block into the first buffer.
    private func startDirect(_ support: DirectWriteSupport) async throws {
        try await settle()
        let next = try DirectWriteStaging(fileSize: size)
        let enabled: Bool
        do {
            enabled = try await io.run { () -> Bool in
                var ok = false
                try self.withOpenDescriptor { fd in ok = DirectWriteStaging.enableDirect(fd: fd) }
                guard ok else { return false }
                try DirectWriteStaging.loadHead(host: self.hostPath, path: self.path, into: next.fill,
                                                length: next.headLength, offset: next.fillStart)
                return true
            }
        } catch {
            next.release()
            throw error
        }
        guard enabled else {
            next.release()
            support.refused()
            return
        }
        pipeline = DirectWritePipeline(staging: next, fd: lock.withLock { fd }, path: path)
    }

    /// Waits for the write in flight, if any, and throws its error (once).
    private func settle() async throws {
        if lock.withLock({ inFlight }) {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                lock.lock()
                if inFlight {
                    waiter = c
                    lock.unlock()
                } else {
                    lock.unlock()
                    c.resume()
                }
            }
        }
        let error: Error? = lock.withLock {
            defer { failure = nil }
            return failure
        }
        if let error { throw error }
    }

    func close() async throws {
        let pending = await settleCapturing()
        try await finish(.closed, sync: false)
        if let pending { throw pending }
    }

    func commit() async throws {
        try await settle()
        try await finish(.committed, sync: true)
    }

    func cancel() async throws {
        _ = await settleCapturing()
        try await io.run {
            self.lock.lock()
            defer { self.lock.unlock() }
            // No disk write may still use the descriptor when it is closed.
            try? self.pipeline?.finish(flush: false)
            if self.fd >= 0 {
                POSIXFileSystem.closeDescriptor(self.fd)
                self.fd = -1
            }
            guard self.state != .cancelled else { return }
            self.state = .cancelled
            if unlink(self.hostPath) != 0, errno != ENOENT {
                throw POSIXFileSystem.error(errno, path: self.path, operation: "unlink")
            }
        }
    }

    /// ``settle()`` that returns the write's error instead of throwing it.
    private func settleCapturing() async -> Error? {
        do { try await settle(); return nil } catch { return error }
    }

    /// Closes the descriptor (after an fsync for a commit). Closing twice is harmless;
    /// committing a cancelled or closed writer is an error.
    private func finish(_ next: WriterState, sync: Bool) async throws {
        try await io.run {
            self.lock.lock()
            defer { self.lock.unlock() }
            guard try self.state.shouldFinish(next, path: self.path) else { return }
            if let pipeline = self.pipeline {
                // Waits for the last disk write, then writes the rest (not after a failure:
                // those bytes would land after a gap).
                do {
                    try pipeline.finish(flush: true)
                } catch {
                    if let at = pipeline.failedAt { self.written = min(self.written, at) }
                    throw error
                }
            }
            if sync { try POSIXFileSystem.sync(fd: self.fd, path: self.path) }
            let fd = self.fd
            self.fd = -1
            self.state = next
            let closeError = POSIXFileSystem.closeDescriptor(fd)
            if closeError != 0 { throw POSIXFileSystem.error(closeError, path: self.path, operation: "close") }
            if sync {
                // The file may be new: make its directory entry durable too.
                let directory = (self.hostPath as NSString).deletingLastPathComponent
                try POSIXFileSystem.syncDirectory(directory, path: StoragePath.parent(self.path))
            }
        }
    }

    /// Runs `body` with the descriptor under the lock; writing to a finished writer throws.
    private func withOpenDescriptor(_ body: (Int32) throws -> Void) throws {
        lock.lock()
        defer { lock.unlock() }
        guard state == .open, fd >= 0 else {
            throw StorageError.unsupported("write to a \(state) writer: \(path)")
        }
        try body(fd)
    }
}
