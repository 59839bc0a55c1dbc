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
final class FilesystemWriter: StorageWriter, @unchecked Sendable {
    private enum State { case open, closed, committed, cancelled }

    private let lock = NSLock()
    private var fd: Int32
    private var state = State.open
    private var written: Int64
    private let hostPath: String
    private let path: String
    private let io: BlockingIOQueue

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
        if data.isEmpty { return try withOpenDescriptor { _ in } }
        try await io.run {
            try self.withOpenDescriptor { fd in
                try POSIXFileSystem.writeAll(fd: fd, data, path: self.path)
                self.written += Int64(data.count)
            }
        }
    }

    func close() async throws {
        try await finish(.closed, sync: false)
    }

    func commit() async throws {
        try await finish(.committed, sync: true)
    }

    func cancel() async throws {
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

    /// Closes the descriptor (after an fsync for a commit). Closing twice is harmless;
    /// committing a cancelled or closed writer is an error.
    private func finish(_ next: State, sync: Bool) async throws {
        try await io.run {
            self.lock.lock()
            defer { self.lock.unlock() }
            switch self.state {
            case .open:
                break
            case .closed, .committed:
                if next == .closed { return }
                throw StorageError.unsupported("commit of a writer already \(self.state == .closed ? "closed" : "committed"): \(self.path)")
            case .cancelled:
                throw StorageError.unsupported("writer was cancelled: \(self.path)")
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
