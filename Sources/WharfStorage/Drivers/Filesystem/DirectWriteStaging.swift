#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import CLinux

/// How a large upload reaches the disk without passing through the page cache.
///
/// A buffered `write` copies every byte into page-cache pages the kernel must first
/// allocate; on a VM that returns freed memory to its host (`virtio_balloon` free page
/// reporting) each fresh page also faults in the host, and that copy was 60% of the
/// server's CPU on a 256 MiB push. With `O_DIRECT` the device reads our buffer itself.
/// `O_DIRECT` wants block-aligned memory, offsets and lengths, and request bodies arrive
/// in chunks of any size, so bytes are gathered here into two aligned buffers: the caller
/// fills one while the other is written.
///
/// The buffer starts at a block boundary of the file: when the file's size is not one, the
/// bytes of its last partial block are read back first and written again with the new ones.
/// At the end the whole blocks go direct and the tail (less than a block) is written
/// through the page cache, so the file never holds padding.
///
/// ```swift
/// let staging = DirectWriteStaging(fileSize: 5000)          // fillStart 4096, 904 bytes to load
/// // load the 904 bytes at 4096 into staging.fill, then append request bytes:
/// let taken = staging.append(chunkBytes)                     // copies until the buffer is full
/// if staging.isFull { let (buffer, offset, length) = staging.swap() … }
/// ```
struct DirectWriteStaging {
    /// The alignment used for memory, offsets and lengths (covers 512-byte and 4 KiB devices).
    static let blockSize = 4096
    /// The size of each of the two buffers, and the least an upload must have written
    /// before it switches to direct writes (small blobs stay in the page cache).
    static let bufferSize = 1 << 20

    /// The buffer being filled; its first byte belongs at ``fillStart`` in the file.
    private(set) var fill: UnsafeMutableRawPointer
    /// The other buffer, nil while a write of it is in flight.
    var spare: UnsafeMutableRawPointer?
    /// Block-aligned file offset of `fill[0]`.
    private(set) var fillStart: Int64
    /// Bytes in ``fill``.
    private(set) var fillCount: Int

    /// Takes two buffers from the pool; the file currently holds `fileSize` bytes. The
    /// caller loads ``headLength`` bytes from ``fillStart`` into ``fill``.
    init(fileSize: Int64, pool: AlignedBufferPool = .shared) throws {
        guard let a = pool.take() else { throw StorageError.unsupported("out of memory for a write buffer") }
        guard let b = pool.take() else {
            pool.give(a)
            throw StorageError.unsupported("out of memory for a write buffer")
        }
        fill = a
        spare = b
        fillStart = fileSize - fileSize % Int64(Self.blockSize)
        fillCount = Int(fileSize - fillStart)
    }

    /// The bytes of the file's last partial block that ``fill`` must start with.
    var headLength: Int { fillCount }

    var isFull: Bool { fillCount == Self.bufferSize }

    /// Copies as much of `bytes` as fits; returns how many were taken.
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        let n = min(Self.bufferSize - fillCount, bytes.count)
        if n > 0, let base = bytes.baseAddress {
            memcpy(fill + fillCount, base, n)
            fillCount += n
        }
        return n
    }

    /// Hands out the full buffer to write and makes the spare the one being filled.
    /// Precondition: ``spare`` is back (no write in flight).
    mutating func swap() -> (buffer: UnsafeMutableRawPointer, offset: Int64, length: Int) {
        let out = (fill, fillStart, fillCount)
        fill = spare!
        spare = nil
        fillStart += Int64(fillCount)
        fillCount = 0
        return out
    }

    /// Returns both buffers to the pool (the spare only when it is back).
    func release(to pool: AlignedBufferPool = .shared) {
        pool.give(fill)
        if let spare { pool.give(spare) }
    }

    // MARK: system calls (run on a storage I/O thread)

    /// Switches `fd` to direct writes at explicit offsets (clearing `O_APPEND`); false when
    /// the filesystem refuses `O_DIRECT` (tmpfs before Linux 6.6, some FUSE mounts).
    static func enableDirect(fd: Int32) -> Bool {
        fcntl(fd, F_SETFL, wharf_o_direct()) == 0
    }

    /// Reads the last partial block of `host` (`length` bytes at `offset`) into `buffer`.
    static func loadHead(host: String, path: String, into buffer: UnsafeMutableRawPointer, length: Int, offset: Int64) throws {
        guard length > 0 else { return }
        let fd = POSIXFileSystem.retryingOnInterrupt { open(host, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }
        guard fd >= 0 else { throw POSIXFileSystem.error(errno, path: path, operation: "open") }
        defer { close(fd) }
        var done = 0
        while done < length {
            let n = POSIXFileSystem.retryingOnInterrupt { pread(fd, buffer + done, length - done, off_t(offset) + off_t(done)) }
            if n < 0 { throw POSIXFileSystem.error(errno, path: path, operation: "read") }
            if n == 0 { throw StorageError.invalidOffset(path: path, offset: offset + Int64(done)) }
            done += n
        }
    }

    /// Writes `length` bytes at `offset`: the whole blocks direct, the rest (the end of the
    /// upload) through the page cache. A filesystem that turns out to refuse a direct write
    /// (`EINVAL`: stricter alignment) gets the same bytes buffered, and `fd` stays buffered;
    /// returns whether `fd` is still direct.
    static func write(fd: Int32, _ buffer: UnsafeMutableRawPointer, length: Int, at offset: Int64, direct: Bool, path: String) throws -> Bool {
        var direct = direct
        var done = 0
        if direct, length >= blockSize {
            let whole = length - length % blockSize
            let code = POSIXFileSystem.pwriteAll(fd: fd, buffer, count: whole, at: offset)
            if code == EINVAL {
                direct = false
                _ = fcntl(fd, F_SETFL, 0)
            } else if code != 0 {
                throw POSIXFileSystem.error(code, path: path, operation: "write")
            } else {
                done = whole
            }
        }
        guard done < length else { return direct }
        if direct { _ = fcntl(fd, F_SETFL, 0) }
        let code = POSIXFileSystem.pwriteAll(fd: fd, buffer + done, count: length - done, at: offset + Int64(done))
        if direct { _ = fcntl(fd, F_SETFL, wharf_o_direct()) }
        if code != 0 { throw POSIXFileSystem.error(code, path: path, operation: "write") }
        return direct
    }
}

/// A filesystem driver's `directwrites` setting, switched off for good the first time the
/// filesystem refuses `O_DIRECT`, so later uploads do not ask again.
final class DirectWriteSupport: @unchecked Sendable {
    private let lock = NSLock()
    private var enabled: Bool

    init(enabled: Bool) {
        self.enabled = enabled
    }

    var isEnabled: Bool { lock.withLock { enabled } }

    func refused() {
        lock.withLock { enabled = false }
    }
}

/// Block-aligned buffers of ``DirectWriteStaging/bufferSize`` bytes, recycled: a fresh
/// buffer costs a mapping and a page fault per page, a reused one is often still in cache.
/// At most ``maxFree`` idle buffers are kept, and none until the first large upload.
final class AlignedBufferPool: @unchecked Sendable {
    static let shared = AlignedBufferPool(bufferSize: DirectWriteStaging.bufferSize, alignment: DirectWriteStaging.blockSize, maxFree: 4)

    let bufferSize: Int
    let alignment: Int
    let maxFree: Int
    private let lock = NSLock()
    private var idle: [UnsafeMutableRawPointer] = []

    init(bufferSize: Int, alignment: Int, maxFree: Int) {
        self.bufferSize = bufferSize
        self.alignment = alignment
        self.maxFree = maxFree
    }

    func take() -> UnsafeMutableRawPointer? {
        if let reused = lock.withLock({ idle.popLast() }) { return reused }
        var p: UnsafeMutableRawPointer?
        guard posix_memalign(&p, alignment, bufferSize) == 0 else { return nil }
        return p
    }

    func give(_ buffer: UnsafeMutableRawPointer) {
        let kept: Bool = lock.withLock {
            guard idle.count < maxFree else { return false }
            idle.append(buffer)
            return true
        }
        if !kept { free(buffer) }
    }

    /// Idle buffers now (for tests).
    var idleCount: Int { lock.withLock { idle.count } }
}
