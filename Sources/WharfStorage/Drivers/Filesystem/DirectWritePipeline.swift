import Foundation

/// The direct-write half of a ``FilesystemWriter`` once its upload has switched to
/// `O_DIRECT`: bytes are copied into ``DirectWriteStaging``'s aligned buffers on a storage
/// I/O thread, and a full buffer is written while the next one fills.
///
/// The uploader waits only for the copy (``accept(_:)``), never for the disk: the I/O
/// thread that filled a buffer lets the uploader go on, then writes the buffer
/// (``drain(_:)``). The next copy that needs the buffer back waits for that write, so at
/// most two buffers are held and a slow disk slows the upload instead of growing memory.
///
/// ```swift
/// // on a storage I/O thread, one call at a time:
/// let full = try pipeline.accept(chunk)      // copies; nil until a buffer is full
/// resumeUploader()
/// if let full { pipeline.drain(full) }       // the disk write, off the uploader's path
/// // at the end, before the descriptor is closed:
/// try pipeline.finish(flush: true)           // waits for the write in flight, writes the rest
/// ```
final class DirectWritePipeline: @unchecked Sendable {
    /// A full buffer ``accept(_:)`` handed out, to pass to ``drain(_:)``.
    struct FullBuffer: @unchecked Sendable {
        let buffer: UnsafeMutableRawPointer
        let offset: Int64
        let length: Int
    }

    private let condition = NSCondition()
    private var staging: DirectWriteStaging
    /// A full buffer is being written (``drain(_:)``).
    private var writing = false
    /// False once the filesystem refused an `O_DIRECT` write: buffers are written buffered.
    private var direct = true
    /// The first failed write, and the offset from which nothing is known to be in the file.
    private var failure: (error: Error, offset: Int64)?
    private var released = false
    private let fd: Int32
    private let path: String

    init(staging: DirectWriteStaging, fd: Int32, path: String) {
        self.staging = staging
        self.fd = fd
        self.path = path
    }

    deinit {
        if !released { staging.release() }
    }

    /// The offset from which bytes are not known to be in the file, after a failed write.
    var failedAt: Int64? { condition.withLock { failure?.offset } }

    /// Copies `data` into the buffers. Returns the buffer it filled, if any, which the caller
    /// passes to ``drain(_:)`` (after letting the uploader go on). Throws the error of an
    /// earlier failed write.
    func accept(_ data: Data) throws -> FullBuffer? {
        condition.lock()
        defer { condition.unlock() }
        var pending: FullBuffer?
        do {
            var consumed = 0
            while consumed < data.count {
                if let failure { throw failure.error }
                consumed += data.withUnsafeBytes { raw in
                    staging.append(UnsafeRawBufferPointer(rebasing: raw[consumed...]))
                }
                guard staging.isFull else { continue }
                // A chunk larger than what is left of two buffers: write the first one now.
                if let earlier = pending {
                    pending = nil
                    condition.unlock()
                    drain(earlier)
                    condition.lock()
                }
                while staging.spare == nil, failure == nil { condition.wait() }
                if let failure { throw failure.error }
                let (buffer, offset, length) = staging.swap()
                writing = true
                pending = FullBuffer(buffer: buffer, offset: offset, length: length)
            }
            return pending
        } catch {
            // A buffer handed out but never to be written goes back as the spare.
            if let pending {
                staging.spare = pending.buffer
                writing = false
                condition.broadcast()
            }
            throw error
        }
    }

    /// Writes a buffer from ``accept(_:)`` and gives it back for filling.
    func drain(_ full: FullBuffer) {
        let isDirect = condition.withLock { direct }
        let outcome = Result {
            try DirectWriteStaging.write(fd: fd, full.buffer, length: full.length, at: full.offset, direct: isDirect, path: path)
        }
        condition.lock()
        switch outcome {
        case .success(let stillDirect): direct = stillDirect
        case .failure(let error): if failure == nil { failure = (error, full.offset) }
        }
        staging.spare = full.buffer
        writing = false
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for the write in flight; with `flush`, writes the bytes not written yet (the
    /// tail through the page cache). Gives the buffers back. Throws the first write error.
    /// Call before the descriptor is closed.
    func finish(flush: Bool) throws {
        condition.lock()
        defer { condition.unlock() }
        while writing { condition.wait() }
        defer {
            if !released { staging.release() }
            released = true
        }
        if let failure { throw failure.error }
        guard flush, !released, staging.fillCount > 0 else { return }
        do {
            direct = try DirectWriteStaging.write(fd: fd, staging.fill, length: staging.fillCount, at: staging.fillStart,
                                                  direct: direct, path: path)
        } catch {
            failure = (error, staging.fillStart)
            throw error
        }
    }
}
