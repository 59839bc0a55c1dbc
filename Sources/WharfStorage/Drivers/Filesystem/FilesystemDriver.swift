#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import WharfSystem

/// The embedded default: files under a root directory (`storage.filesystem.rootdirectory`,
/// default `./data`), laid out exactly as CNCF distribution's filesystem driver lays them
/// out, so an existing registry volume is served as is.
///
/// - Every driver path is checked by ``StoragePath`` and maps to `root + path`; nothing
///   outside the root is touched, and a symbolic link at the last component is never
///   followed (reading one is `pathNotFound`, deleting one removes the link only).
/// - ``putContent(_:_:)`` is atomic and durable: a temporary file in the same directory,
///   fsync, rename over the target, fsync of the directory. Temporary names contain `~`,
///   which no driver path may contain, so they never collide and `list`/`walk` skip them.
/// - `list` and `walk` show only names a driver path can address; `list` or `walk` of a
///   file is `pathNotFound` (a file has no children, as in an object store).
/// - Blocking syscalls run on ``BlockingIOQueue``, not on Swift's cooperative pool.
///
/// ```swift
/// let driver = try FilesystemDriver(root: "/var/lib/wharf")
/// try await driver.putContent("/docker/registry/v2/repositories/app/_manifests/tags/v1/current/link", Data("sha256:ab…".utf8))
/// ```
public final class FilesystemDriver: StorageDriver, LocalFileAccess, DirectoryVersioning, FileStamping, ScratchWrites,
                                    @unchecked Sendable {
    public let name = "filesystem"
    /// Every capability: local files, directory versions and handles, file stamps, scratch writes.
    public var capabilities: StorageCapabilities {
        StorageCapabilities(localFiles: self, directories: self, fileStamps: self, scratchWrites: self)
    }
    /// The absolute root directory all driver paths live under.
    public let root: String
    /// The largest chunk a ``StorageReader`` returns (1 MiB by default).
    public let readChunkSize: Int

    /// The most blocking syscalls in flight at once (config `maxthreads`).
    public var maxThreads: Int { io.maxThreads }

    let io: BlockingIOQueue
    /// Bounds the directories held open by ``openDirectoryHandles(_:)``.
    let handleBudget = DirectoryHandleBudget()
    private let directWriteSupport: DirectWriteSupport

    /// Whether uploads past 1 MiB are written with `O_DIRECT` (config `directwrites`; off for
    /// good once the filesystem refuses it).
    public var directWrites: Bool { directWriteSupport.isEnabled }

    /// Creates the root directory (and its parents) when missing.
    ///
    /// - Parameters:
    ///   - root: the directory everything is stored under; relative to the working directory
    ///     unless absolute.
    ///   - readChunkSize: the largest chunk a reader returns.
    ///   - maxThreads: threads for blocking syscalls, as distribution's `maxthreads`.
    ///   - directWrites: write uploads past their first MiB with `O_DIRECT`, past the page
    ///     cache (see ``FilesystemWriter``); filesystems that refuse it are written buffered.
    /// - Throws: ``StorageError/unknown(driver:message:)`` naming the root when it cannot be
    ///   created or is not a directory.
    public init(root: String, readChunkSize: Int = 1 << 20, maxThreads: Int = 100, directWrites: Bool = true) throws {
        io = BlockingIOQueue(maxThreads: maxThreads)
        directWriteSupport = DirectWriteSupport(enabled: directWrites)
        var absolute = root.hasPrefix("/") ? root : FileManager.default.currentDirectoryPath + "/" + root
        while absolute.count > 1, absolute.hasSuffix("/") { absolute.removeLast() }
        self.root = absolute
        self.readChunkSize = max(1, readChunkSize)
        do {
            try POSIXFileSystem.makeDirectories(absolute, path: absolute)
        } catch {
            throw StorageError.unknown(driver: "filesystem", message: "cannot create root directory \(absolute): \(error)")
        }
        guard POSIXFileSystem.isDirectory(absolute) else {
            throw StorageError.unknown(driver: "filesystem", message: "root \(absolute) is not a directory")
        }
    }

    /// The host path for a checked driver path.
    func hostPath(_ path: String) -> String {
        if path == "/" { return root }
        return root == "/" ? path : root + path
    }


    /// Creates the parent directories of `path`; a file in the way makes `path` invalid.
    private static func makeParents(_ parentHost: String, _ parent: String, of path: String) throws {
        do {
            try POSIXFileSystem.makeDirectories(parentHost, path: parent)
        } catch StorageError.invalidPath {
            throw StorageError.invalidPath(path)
        }
    }

    public func getContent(_ path: String) async throws -> Data {
        try StoragePath.check(path)
        let host = hostPath(path)
        return try await io.run { try POSIXFileSystem.readAll(host, path: path) }
    }

    public func putContent(_ path: String, _ content: Data) async throws {
        try await put(path, content, durable: true)
    }

    /// ``putContent(_:_:)`` without the two fsyncs: still atomic (temporary file and rename),
    /// but a crash may lose it.
    public func putScratchContent(_ path: String, _ content: Data) async throws {
        try await put(path, content, durable: false)
    }

    private func put(_ path: String, _ content: Data, durable: Bool) async throws {
        try StoragePath.checkFile(path)
        let host = hostPath(path)
        let parent = StoragePath.parent(path)
        let parentHost = hostPath(parent)
        try await io.run {
            try Self.makeParents(parentHost, parent, of: path)
            let temporary = parentHost + "/" + POSIXFileSystem.temporaryPrefix + String(UInt64.random(in: .min ... .max), radix: 16)
            let fd = POSIXFileSystem.retryingOnInterrupt {
                open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            }
            guard fd >= 0 else { throw POSIXFileSystem.error(errno, path: path, operation: "create") }
            do {
                defer { close(fd) }
                try POSIXFileSystem.writeAll(fd: fd, content, path: path)
                if durable { try POSIXFileSystem.sync(fd: fd, path: path) }
            } catch {
                unlink(temporary)
                throw error
            }
            if rename(temporary, host) != 0 {
                let code = errno
                unlink(temporary)
                if code == EISDIR || code == ENOTEMPTY || code == EEXIST { throw StorageError.invalidPath(path) }
                throw POSIXFileSystem.error(code, path: path, operation: "rename")
            }
            if durable { try POSIXFileSystem.syncDirectory(parentHost, path: parent) }
        }
    }

    public func reader(_ path: String, offset: Int64) async throws -> StorageReader {
        try StoragePath.check(path)
        let host = hostPath(path)
        let chunk = readChunkSize
        let file = try await io.run { () -> FilesystemReader in
            let (fd, size) = try POSIXFileSystem.openForReading(host, path: path)
            guard offset >= 0, offset <= size else {
                close(fd)
                throw StorageError.invalidOffset(path: path, offset: offset)
            }
            return FilesystemReader(fd: fd, offset: offset, chunkSize: chunk, path: path, io: self.io)
        }
        return file
    }

    public func writer(_ path: String, append: Bool) async throws -> StorageWriter {
        try StoragePath.checkFile(path)
        let host = hostPath(path)
        let parent = StoragePath.parent(path)
        let parentHost = hostPath(parent)
        return try await io.run { () -> FilesystemWriter in
            if !append { try Self.makeParents(parentHost, parent, of: path) }
            let flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC | (append ? 0 : O_CREAT | O_TRUNC)
            let fd = POSIXFileSystem.retryingOnInterrupt { open(host, flags, 0o644) }
            guard fd >= 0 else {
                let code = errno
                if code == EISDIR { throw StorageError.invalidPath(path) }
                throw POSIXFileSystem.error(code, path: path, operation: "open")
            }
            guard let size = POSIXFileSystem.regularFileSize(fd: fd) else {
                close(fd)
                throw StorageError.invalidPath(path)
            }
            return FilesystemWriter(fd: fd, size: size, hostPath: host, path: path, io: self.io,
                                    directWrites: self.directWriteSupport)
        }
    }

    public func stat(_ path: String) async throws -> FileInfo {
        try StoragePath.check(path)
        let host = hostPath(path)
        return try await io.run {
            guard let info = try POSIXFileSystem.info(host, path: path) else { throw StorageError.pathNotFound(path) }
            return info
        }
    }

    public func list(_ path: String) async throws -> [String] {
        try StoragePath.check(path)
        let host = hostPath(path)
        return try await io.run {
            try POSIXFileSystem.entryNames(host, path: path)
                .filter(POSIXFileSystem.isAddressable)
                .sorted()
                .map { StoragePath.join(path, $0) }
        }
    }

    /// One blocking job for all `queries`: a `stat` per directory whose version is known,
    /// `readdir` (kinds from `d_type`) for the rest. See ``DirectorySnapshot`` for when a
    /// version is withheld.
    public func listDirectories(_ queries: [DirectoryQuery]) async throws -> [DirectorySnapshot]? {
        for q in queries { try StoragePath.check(q.path) }
        let jobs = queries.map { (host: hostPath($0.path), path: $0.path, known: $0.known) }
        return try await io.run {
            let now = FileStamp.wallClockNanoseconds()
            // Siblings come together (a tree walk asks level by level): keep their parent open.
            var parent: [UInt8] = []
            var parentFD: Int32 = -1
            defer { if parentFD >= 0 { close(parentFD) } }
            return try jobs.map { job in
                var host = job.host
                // The length of the parent's part of `host` (0: none), and whether it is `parent`.
                let (slash, sameParent): (Int, Bool) = host.withUTF8 { h in
                    var i = h.count - 1
                    while i > 0, h[i] != UInt8(ascii: "/") { i -= 1 }
                    guard i > 0, let base = h.baseAddress else { return (0, false) }
                    return (i, parent.count == i && parent.withUnsafeBufferPointer { memcmp(base, $0.baseAddress!, i) == 0 })
                }
                guard slash > 0 else {
                    return try POSIXFileSystem.snapshot(base: AT_FDCWD, job.host, path: job.path, known: job.known, now: now)
                }
                if !sameParent {
                    if parentFD >= 0 { close(parentFD) }
                    parent = host.withUTF8 { Array($0[..<slash]) }
                    let directory = String(decoding: parent, as: UTF8.self)
                    parentFD = POSIXFileSystem.retryingOnInterrupt { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
                }
                guard parentFD >= 0 else {
                    return try POSIXFileSystem.snapshot(base: AT_FDCWD, job.host, path: job.path, known: job.known, now: now)
                }
                let name = host.withUTF8 { String(decoding: $0[(slash + 1)...], as: UTF8.self) }
                return try POSIXFileSystem.snapshot(base: parentFD, name, path: job.path, known: job.known, now: now)
            }
        }
    }

    public func move(from source: String, to destination: String) async throws {
        try StoragePath.checkFile(source)
        try StoragePath.checkFile(destination)
        let sourceHost = hostPath(source), destinationHost = hostPath(destination)
        let parent = StoragePath.parent(destination)
        let parentHost = hostPath(parent)
        try await io.run {
            guard try POSIXFileSystem.info(sourceHost, path: source) != nil else { throw StorageError.pathNotFound(source) }
            try Self.makeParents(parentHost, parent, of: destination)
            // The bytes reach the disk before the name that promises them does: after a
            // crash a blob path holds its whole content or does not exist (as distribution's
            // writer syncs on commit). Uploads are appended without fsync until here.
            try POSIXFileSystem.syncFile(sourceHost, path: source)
            guard rename(sourceHost, destinationHost) == 0 else {
                let code = errno
                if code == EISDIR || code == ENOTEMPTY || code == EEXIST || code == EINVAL {
                    throw StorageError.invalidPath(destination)
                }
                throw POSIXFileSystem.error(code, path: source, operation: "rename")
            }
            try POSIXFileSystem.syncDirectory(parentHost, path: parent)
        }
    }

    public func delete(_ path: String) async throws {
        try StoragePath.checkFile(path)
        let host = hostPath(path)
        try await io.run { try POSIXFileSystem.removeTree(host, path: path) }
    }

    public func redirectURL(_ path: String, method: String) async throws -> String? {
        try StoragePath.check(path)
        return nil
    }

    public func walk(_ path: String, _ visit: (FileInfo) async throws -> WalkAction) async throws {
        try StoragePath.check(path)
        let start = try await stat(path)
        guard start.isDirectory else { throw StorageError.pathNotFound(path) }
        _ = try await StorageTreeWalk.walk(path, children: { [self] in try await walkEntries($0, root: path) }, visit)
    }

    /// One directory's entries in lexical order, read on the I/O threads; entries removed
    /// since readdir, links and special files are not reported. A directory removed while
    /// the walk ran lists as empty.
    private func walkEntries(_ directory: String, root: String) async throws -> [FileInfo] {
        let host = hostPath(directory)
        do {
            return try await io.run {
                var infos: [FileInfo] = []
                for name in try POSIXFileSystem.entryNames(host, path: directory).filter(POSIXFileSystem.isAddressable).sorted() {
                    let child = StoragePath.join(directory, name)
                    if let info = try? POSIXFileSystem.info(host + "/" + name, path: child) { infos.append(info) }
                }
                return infos
            }
        } catch StorageError.pathNotFound(let missing) where missing == directory && directory != root {
            return []
        }
    }

    /// One `statx` of the file, inline on the calling thread (a link file's metadata is in
    /// the inode cache: microseconds, no ``BlockingIOQueue`` hand-off). `AT_STATX_FORCE_SYNC`
    /// makes a network file system ask its server instead of its attribute cache, so a file
    /// another replica replaced is seen at once. Symbolic links and non-files give nil.
    public func fileStamp(_ path: String) -> FileStamp? {
        guard StoragePath.isValid(path), path != "/" else { return nil }
        return POSIXFileSystem.stamp(hostPath(path))
    }

    /// Opens a stored file read-only for `sendfile`; the caller owns (and closes) the descriptor.
    public func openLocalFile(_ path: String) throws -> (descriptor: Int32, size: Int64)? {
        try StoragePath.check(path)
        let (fd, size) = try POSIXFileSystem.openForReading(hostPath(path), path: path)
        return (fd, size)
    }
}
