#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

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

    init(fd: Int32, size: Int64, hostPath: String, path: String, io: BlockingIOQueue) {
        self.fd = fd
        self.written = size
        self.hostPath = hostPath
        self.path = path
        self.io = io
    }

    deinit {
        if fd >= 0 { POSIXFileSystem.closeDescriptor(fd) }
    }

    var size: Int64 {
        lock.lock()
        defer { lock.unlock() }
        return written
    }

    func write(_ data: Data) async throws {
        try await settle()
        // Accepted bytes count at once (``size``); a finished writer refuses them here.
        try withOpenDescriptor { _ in
            if data.isEmpty { return }
            inFlight = true
            written += Int64(data.count)
        }
        if data.isEmpty { return }
        io.enqueue {
            let outcome = Result { try self.withOpenDescriptor { fd in
                try POSIXFileSystem.writeAll(fd: fd, data, path: self.path)
            } }
            self.lock.lock()
            self.inFlight = false
            if case .failure(let error) = outcome {
                self.written -= Int64(data.count)
                if self.failure == nil { self.failure = error }
            }
            let waiter = self.waiter
            self.waiter = nil
            self.lock.unlock()
            waiter?.resume()
        }
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
