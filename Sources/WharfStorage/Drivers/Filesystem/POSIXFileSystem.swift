#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import WharfSystem
#if os(Linux)
import CLinux
#endif

/// The blocking syscalls under ``FilesystemDriver``, each throwing ``StorageError``.
///
/// Every function takes host paths that the driver already built from a checked driver
/// path; none follows a symbolic link at the last component. Call them from
/// ``BlockingIOQueue``, never directly from an async context.
enum POSIXFileSystem {
    /// Prefix of the driver's temporary files. `~` is outside ``StoragePath``'s alphabet,
    /// so no driver path can ever name (or collide with) a temporary file.
    static let temporaryPrefix = ".wharf-tmp~"

    /// True for directory entries a driver path can name; anything else (temporary files,
    /// `lost+found`, names with spaces) is invisible to `list` and `walk`.
    static func isAddressable(_ name: String) -> Bool {
        var name = name
        return name.withUTF8(StoragePath.isValidComponent)
    }

    // MARK: errno

    /// Maps an errno to the storage error the registry reports for it.
    static func error(_ code: Int32, path: String, operation: String) -> StorageError {
        switch code {
        case ENOENT, ENOTDIR: return .pathNotFound(path)
        case ENOSPC, EDQUOT: return .outOfSpace
        case EROFS: return .readOnlyFilesystem
        case EFBIG: return .fileTooLarge(path)
        case ENAMETOOLONG: return .invalidPath(path)
        default:
            return .unknown(driver: "filesystem", message: "\(operation) \(path): \(String(cString: strerror(code))) (errno \(code))")
        }
    }

    // MARK: opening

    /// Opens a regular file for reading; directories and missing files are `pathNotFound`.
    /// Returns the descriptor and the file size.
    static func openForReading(_ host: String, path: String) throws -> (fd: Int32, size: Int64) {
        let fd = retryingOnInterrupt { open(host, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        guard fd >= 0 else {
            let code = errno
            if code == ELOOP { throw StorageError.pathNotFound(path) } // a symlink: not ours to follow
            throw error(code, path: path, operation: "open")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let code = errno
            close(fd)
            throw error(code, path: path, operation: "fstat")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw StorageError.pathNotFound(path)
        }
        return (fd, Int64(st.st_size))
    }

    /// Reads a whole regular file.
    static func readAll(_ host: String, path: String) throws -> Data {
        let (fd, size) = try openForReading(host, path: path)
        defer { close(fd) }
        var result = Data()
        if size > 0, size < Int64(Int.max) { result.reserveCapacity(Int(size)) }
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: min(chunk, max(Int(clamping: size), 4096)))
        while true {
            let n = buffer.withUnsafeMutableBytes { raw in
                retryingOnInterrupt { read(fd, raw.baseAddress, raw.count) }
            }
            if n < 0 { throw error(errno, path: path, operation: "read") }
            if n == 0 { return result }
            result.append(contentsOf: buffer[0..<n])
        }
    }

    /// Reads up to `count` bytes at `offset`; an empty result means end of file.
    static func readChunk(fd: Int32, offset: Int64, count: Int, path: String) throws -> Data {
        var data = Data(count: count)
        let n = data.withUnsafeMutableBytes { raw in
            retryingOnInterrupt { pread(fd, raw.baseAddress, count, off_t(offset)) }
        }
        if n < 0 { throw error(errno, path: path, operation: "read") }
        data.count = n
        return data
    }

    /// Writes every byte of `data`, retrying short writes.
    static func writeAll(fd: Int32, _ data: Data, path: String) throws {
        try data.withUnsafeBytes { raw in
            guard var p = raw.baseAddress else { return }
            var left = raw.count
            while left > 0 {
                let n = retryingOnInterrupt { write(fd, p, left) }
                if n < 0 { throw error(errno, path: path, operation: "write") }
                p += n
                left -= n
            }
        }
    }

    /// Writes all `count` bytes at `offset` (retrying short writes); 0, or the `errno` of the
    /// call that failed.
    static func pwriteAll(fd: Int32, _ bytes: UnsafeRawPointer, count: Int, at offset: Int64) -> Int32 {
        var done = 0
        while done < count {
            let n = retryingOnInterrupt { pwrite(fd, bytes + done, count - done, off_t(offset) + off_t(done)) }
            if n < 0 { return errno }
            if n == 0 { return EIO }
            done += n
        }
        return 0
    }

    static func sync(fd: Int32, path: String) throws {
        guard fsync(fd) == 0 else { throw error(errno, path: path, operation: "fsync") }
    }

    /// Fsyncs a regular file's data by path (before a rename publishes it).
    static func syncFile(_ host: String, path: String) throws {
        let fd = retryingOnInterrupt { open(host, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }
        guard fd >= 0 else { throw error(errno, path: path, operation: "open") }
        defer { close(fd) }
        guard fdatasync(fd) == 0 else { throw error(errno, path: path, operation: "fdatasync") }
    }

    /// Fsyncs a directory so a rename or create inside it survives a crash.
    static func syncDirectory(_ host: String, path: String) throws {
        let fd = retryingOnInterrupt { open(host, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw error(errno, path: path, operation: "open directory") }
        defer { close(fd) }
        // Some filesystems refuse fsync on directories (EINVAL): the rename is still done.
        if fsync(fd) != 0, errno != EINVAL { throw error(errno, path: path, operation: "fsync directory") }
    }

    // MARK: directories

    /// `mkdir -p` for a host directory; existing directories are fine.
    static func makeDirectories(_ host: String, path: String) throws {
        if mkdir(host, 0o755) == 0 { return }
        let code = errno
        if code == EEXIST {
            if isDirectory(host) { return }
            throw StorageError.invalidPath(path) // a file where a directory must be
        }
        if code == ENOTDIR { throw StorageError.invalidPath(path) } // a file where a directory must be
        guard code == ENOENT else { throw error(code, path: path, operation: "mkdir") }
        let parent = (host as NSString).deletingLastPathComponent
        guard parent != host, !parent.isEmpty else { throw error(code, path: path, operation: "mkdir") }
        try makeDirectories(parent, path: StoragePath.parent(path))
        if mkdir(host, 0o755) != 0, errno != EEXIST { throw error(errno, path: path, operation: "mkdir") }
    }

    /// The names in a directory, unsorted, `.` and `..` excluded.
    static func entryNames(_ host: String, path: String) throws -> [String] {
        guard let dir = opendir(host) else {
            let code = errno
            throw code == ENOTDIR ? StorageError.pathNotFound(path) : error(code, path: path, operation: "opendir")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw error(errno, path: path, operation: "readdir") }
                return names
            }
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    /// How long after a directory's last change its listing may be reused: file systems with
    /// coarse timestamps (1 s, or the kernel's coarse clock tick) give two changes in one tick
    /// the same mtime, so a listing taken within that tick could not be told apart from the
    /// next change. 2 s covers one-second granularity with room for rounding.
    static let settleNanoseconds: Int64 = 2_000_000_000

    /// One directory for ``FilesystemDriver/listDirectories(_:)``: `.unchanged` when its
    /// version equals `known` (a single `stat`), otherwise its addressable entries, sorted,
    /// with their kinds from `d_type` (a `stat` only where the file system leaves it
    /// unknown). The version is read from the open directory before its entries, so a change
    /// during the listing makes the recorded version stale, never the listing.
    ///
    /// `host` is relative to the open directory `base` (`AT_FDCWD` for an absolute path), so
    /// a batch of siblings costs one path lookup each, not one per component.
    static func snapshot(base: Int32, _ host: String, path: String, known: DirectoryVersion?, now: Int64) throws -> DirectorySnapshot {
        var st = stat()
        if let known {
            guard fstatat(base, host, &st, 0) == 0 else {
                let code = errno
                if code == ENOENT || code == ENOTDIR { return .missing }
                throw error(code, path: path, operation: "stat")
            }
            guard (st.st_mode & S_IFMT) == S_IFDIR else { return .missing }
            if version(st) == known { return .unchanged }
        }
        let fd = retryingOnInterrupt { openat(base, host, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return .missing }
            throw error(code, path: path, operation: "open")
        }
        guard fstat(fd, &st) == 0 else {
            let code = errno
            close(fd)
            throw error(code, path: path, operation: "fstat")
        }
        let changed = max(Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                          Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
        let settled = now - changed >= settleNanoseconds
        guard let dir = fdopendir(fd) else {
            let code = errno
            close(fd)
            throw error(code, path: path, operation: "fdopendir")
        }
        defer { closedir(dir) }
        var entries: [DirectoryEntry] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw error(errno, path: path, operation: "readdir") }
                break
            }
            let type = entry.pointee.d_type
            let listed: DirectoryEntry? = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: UInt8.self, capacity: Int(NAME_MAX) + 1) { raw in
                    let length = strlen(UnsafeRawPointer(raw).assumingMemoryBound(to: CChar.self))
                    let bytes = UnsafeBufferPointer(start: raw, count: length)
                    guard StoragePath.isValidComponent(bytes) else { return nil }
                    var isDirectory = type == UInt8(DT_DIR)
                    if type == UInt8(DT_UNKNOWN) {
                        var child = stat()
                        isDirectory = fstatat(dirfd(dir), UnsafeRawPointer(raw).assumingMemoryBound(to: CChar.self),
                                              &child, AT_SYMLINK_NOFOLLOW) == 0 && (child.st_mode & S_IFMT) == S_IFDIR
                    }
                    return DirectoryEntry(name: String(decoding: bytes, as: UTF8.self), isDirectory: isDirectory)
                }
            }
            if let listed { entries.append(listed) }
        }
        entries.sort { $0.name < $1.name }
        return .listed(entries, version: settled ? version(st) : nil)
    }

    /// The fields that change when a directory's entries change.
    static func version(_ st: stat) -> DirectoryVersion {
        DirectoryVersion(Int64(bitPattern: UInt64(st.st_dev)), Int64(bitPattern: UInt64(st.st_ino)),
                         Int64(st.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(st.st_mtim.tv_nsec),
                         Int64(st.st_ctim.tv_sec) &* 1_000_000_000 &+ Int64(st.st_ctim.tv_nsec),
                         Int64(st.st_nlink), Int64(st.st_size))
    }

    // MARK: metadata

    /// True when `host` is a directory or a link to one (an administrator may link the root).
    static func isDirectory(_ host: String) -> Bool {
        var st = stat()
        return stat(host, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The size of the regular file open at `fd`, or nil when it is not a regular file.
    static func regularFileSize(fd: Int32) -> Int64? {
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(st.st_size)
    }

    /// `lstat` as a ``FileInfo``; nil for symbolic links and special files, which the
    /// driver neither reports nor follows.
    static func info(_ host: String, path: String) throws -> FileInfo? {
        var st = stat()
        guard lstat(host, &st) == 0 else { throw error(errno, path: path, operation: "stat") }
        let kind = st.st_mode & S_IFMT
        guard kind == S_IFREG || kind == S_IFDIR else { return nil }
        let modTime = Date(timeIntervalSince1970: TimeInterval(st.st_mtim.tv_sec) + TimeInterval(st.st_mtim.tv_nsec) / 1e9)
        let isDirectory = kind == S_IFDIR
        return FileInfo(path: path, size: isDirectory ? 0 : Int64(st.st_size), modTime: modTime, isDirectory: isDirectory)
    }

    /// The ``FileStamp`` of a regular file (not following a final symbolic link), or nil.
    static func stamp(_ host: String) -> FileStamp? {
        #if os(Linux)
        var out: (Int64, Int64, Int64, Int64, Int64) = (0, 0, 0, 0, 0)
        let ok = withUnsafeMutableBytes(of: &out) { raw in
            wharf_file_stamp(host, raw.baseAddress!.assumingMemoryBound(to: Int64.self)) == 0
        }
        guard ok else { return nil }
        return FileStamp(device: UInt64(bitPattern: out.0), inode: UInt64(bitPattern: out.1), size: out.2,
                         changeNanoseconds: out.3, modificationNanoseconds: out.4)
        #else
        return nil
        #endif
    }

    // MARK: removal

    /// Removes a file, a symbolic link (not its target) or a whole directory tree.
    static func removeTree(_ host: String, path: String) throws {
        var st = stat()
        guard lstat(host, &st) == 0 else { throw error(errno, path: path, operation: "stat") }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            try removeChildren(host, path: path)
            if rmdir(host) != 0, errno != ENOENT { throw error(errno, path: path, operation: "rmdir") }
        } else if unlink(host) != 0, errno != ENOENT {
            throw error(errno, path: path, operation: "unlink")
        }
    }

    /// Removes everything inside a directory, keeping the directory.
    static func removeChildren(_ host: String, path: String) throws {
        for name in try entryNames(host, path: path) {
            do {
                try removeTree(host + "/" + name, path: StoragePath.join(path, name))
            } catch StorageError.pathNotFound {
                continue // removed concurrently: the goal is reached
            }
        }
    }

    /// Closes a descriptor; reported errors are the ones worth reporting (not EINTR).
    @discardableResult
    static func closeDescriptor(_ fd: Int32) -> Int32 {
        let r = close(fd)
        return r == 0 || errno == EINTR ? 0 : errno
    }

    /// Retries a syscall interrupted by a signal.
    @inline(__always)
    static func retryingOnInterrupt<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let r = call()
            if r >= 0 || errno != EINTR { return r }
        }
    }
}
