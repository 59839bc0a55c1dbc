#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import WharfSystem

/// Reads an open file from an offset in chunks of at most `chunkSize` bytes, each read
/// on ``BlockingIOQueue``. The descriptor is closed at the end, by ``close()``, or when
/// the reader is released.
final class FilesystemReader: StorageReader, @unchecked Sendable {
    private let lock = NSLock()
    private var fd: Int32
    private var offset: Int64
    private let chunkSize: Int
    private let path: String
    private let io: BlockingIOQueue

    init(fd: Int32, offset: Int64, chunkSize: Int, path: String, io: BlockingIOQueue) {
        self.fd = fd
        self.offset = offset
        self.chunkSize = chunkSize
        self.path = path
        self.io = io
    }

    deinit {
        if fd >= 0 { POSIXFileSystem.closeDescriptor(fd) }
    }

    func next() async throws -> Data? {
        try await io.run { () -> Data? in
            // The lock is held across the pread so close() cannot recycle the descriptor mid-read.
            self.lock.lock()
            defer { self.lock.unlock() }
            guard self.fd >= 0 else { return nil }
            let data = try POSIXFileSystem.readChunk(fd: self.fd, offset: self.offset, count: self.chunkSize, path: self.path)
            if data.isEmpty {
                POSIXFileSystem.closeDescriptor(self.fd)
                self.fd = -1
                return nil
            }
            self.offset += Int64(data.count)
            return data
        }
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        if fd >= 0 {
            POSIXFileSystem.closeDescriptor(fd)
            fd = -1
        }
    }
}
