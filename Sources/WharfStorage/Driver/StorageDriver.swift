import Foundation

/// What `stat` and `walk` report about a path.
public struct FileInfo: Sendable, Equatable {
    /// Absolute driver path, e.g. `/docker/registry/v2/blobs/sha256/ab/ab12.../data`.
    public var path: String
    /// Size in bytes (0 for directories).
    public var size: Int64
    public var modTime: Date
    public var isDirectory: Bool

    public init(path: String, size: Int64, modTime: Date, isDirectory: Bool) {
        self.path = path
        self.size = size
        self.modTime = modTime
        self.isDirectory = isDirectory
    }
}

/// What a `walk` visitor asks for next.
public enum WalkAction: Sendable {
    case `continue`
    /// Do not descend into this directory (ignored for files).
    case skipDirectory
    /// End the walk.
    case stop
}

/// Driver failures, with the codes the OpenShift registry reports in
/// `imageregistry_storage_errors_total{code}`.
public enum StorageError: Error, Equatable, Sendable, CustomStringConvertible {
    case pathNotFound(String)
    case invalidPath(String)
    case invalidOffset(path: String, offset: Int64)
    case readOnlyFilesystem
    case fileTooLarge(String)
    case outOfSpace
    /// The driver cannot do this (e.g. a writer resumed where the backend forbids it).
    case unsupported(String)
    /// Anything else, with the backend's own words (e.g. the S3 error code).
    case unknown(driver: String, message: String)
    /// The backend cannot be reached or refuses service for now (connection refused, timeouts,
    /// 5xx after retries, bad credentials, missing bucket): the registry answers 503.
    case unavailable(driver: String, message: String)

    /// The metric label code.
    public var code: String {
        switch self {
        case .pathNotFound: return "PATH_NOT_FOUND"
        case .invalidPath: return "INVALID_PATH"
        case .invalidOffset: return "INVALID_OFFSET"
        case .readOnlyFilesystem: return "READ_ONLY_FILESYSTEM"
        case .fileTooLarge: return "FILE_TOO_LARGE"
        case .outOfSpace: return "DEVICE_OUT_OF_SPACE"
        case .unsupported, .unknown, .unavailable: return "UNKNOWN"
        }
    }

    public var description: String {
        switch self {
        case .pathNotFound(let p): return "path not found: \(p)"
        case .invalidPath(let p): return "invalid path: \(p)"
        case .invalidOffset(let p, let o): return "invalid offset \(o) for \(p)"
        case .readOnlyFilesystem: return "read-only filesystem"
        case .fileTooLarge(let p): return "file too large: \(p)"
        case .outOfSpace: return "no space left on device"
        case .unsupported(let m): return "unsupported: \(m)"
        case .unknown(let d, let m): return "\(d): \(m)"
        case .unavailable(let d, let m): return "\(d) unavailable: \(m)"
        }
    }
}

/// Reads a stored file from an offset, in chunks.
public protocol StorageReader: AnyObject, Sendable {
    /// The next chunk (never empty), or nil at the end.
    func next() async throws -> Data?
    /// Releases the underlying handle/connection early; reading after it returns nil.
    func close()
}

/// A resumable writer: what a blob upload streams into.
///
/// Backends buffer as they must (S3 parts ≥ 5 MiB, GCS chunks of 256 KiB multiples, Azure
/// blocks, Swift segments) and persist enough in storage that ``StorageDriver/writer(_:append:)``
/// with `append: true` resumes it from any process. ``size`` counts every byte written
/// across sessions, whether or not the backend has flushed it yet.
public protocol StorageWriter: AnyObject, Sendable {
    func write(_ data: Data) async throws
    /// Bytes written so far, across every session of this writer's path.
    var size: Int64 { get }
    /// Flushes what can be flushed and releases the writer; the content stays resumable.
    func close() async throws
    /// Discards everything written.
    func cancel() async throws
    /// Finishes the content; afterwards it is readable at the writer's path.
    func commit() async throws
}

/// The storage layer under the registry, in the spirit of CNCF distribution's
/// `storagedriver.StorageDriver`: ten operations every backend implements (filesystem,
/// in-memory, S3, and the object stores to come).
///
/// Paths are absolute, `/`-separated, with components of `[A-Za-z0-9._-]` (see
/// ``StoragePath``); a driver never touches anything outside its root. Every error is a
/// ``StorageError``. Content-addressed layout on top of it: see `RegistryPaths` in
/// WharfRegistry.
///
/// What only some backends can do faster (a local file to `sendfile`, directory versions,
/// file stamps, scratch writes) are optional capability protocols, reached through
/// ``capabilities``: callers resolve them once and fall back to the core when absent.
public protocol StorageDriver: AnyObject, Sendable {
    /// The driver's name as in config (`filesystem`, `inmemory`, `s3`, ...).
    var name: String { get }
    /// The whole content of a small file.
    func getContent(_ path: String) async throws -> Data
    /// Writes a small file atomically (readers see the old or the new content, never a mix).
    func putContent(_ path: String, _ content: Data) async throws
    /// A reader from `offset`; `offset` past the end throws ``StorageError/invalidOffset(path:offset:)``.
    func reader(_ path: String, offset: Int64) async throws -> StorageReader
    /// A writer for `path`; `append: true` resumes the content written earlier.
    func writer(_ path: String, append: Bool) async throws -> StorageWriter
    func stat(_ path: String) async throws -> FileInfo
    /// The direct children of a directory, as absolute paths. Missing directory: ``StorageError/pathNotFound(_:)``.
    func list(_ path: String) async throws -> [String]
    /// Moves a file, replacing the destination (the commit step of uploads).
    func move(from source: String, to destination: String) async throws
    /// Deletes a file or a whole directory tree.
    func delete(_ path: String) async throws
    /// A URL the client can fetch the content from directly, or nil when the driver has none.
    func redirectURL(_ path: String, method: String) async throws -> String?
    /// Visits every file and directory below `path`, in lexical order, depth first.
    /// Object stores without a faster native walk use ``walkByListing(_:_:)``.
    func walk(_ path: String, _ visit: (FileInfo) async throws -> WalkAction) async throws

    /// The optional capabilities this driver has (see ``StorageCapabilities``). The default
    /// finds them by conformance; a wrapper such as ``InstrumentedDriver`` reports those of
    /// the driver it wraps.
    var capabilities: StorageCapabilities { get }
}

extension StorageDriver {
    public var capabilities: StorageCapabilities { StorageCapabilities(of: self) }
}

/// Validation of driver paths, shared by every driver.
public enum StoragePath {
    /// True for `/` and for `/a/b.c/d-e_f`: absolute, no empty, `.` or `..` components,
    /// components of `[A-Za-z0-9._-]` only.
    public static func isValid(_ path: String) -> Bool {
        var path = path
        return path.withUTF8 { isValid(bytes: $0) }
    }

    /// ``isValid(_:)`` in one pass over the bytes (it runs on every driver call, and on
    /// every directory of a catalog request).
    static func isValid(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first, first == UInt8(ascii: "/") else { return false }
        if bytes.count == 1 { return true }
        var componentLength = 0
        var dots = 0
        for c in bytes.dropFirst() {
            if c == UInt8(ascii: "/") {
                if componentLength == 0 || dots == componentLength && dots <= 2 { return false }
                componentLength = 0
                dots = 0
                continue
            }
            if !isNameByte(c) { return false }
            componentLength += 1
            if c == UInt8(ascii: ".") { dots += 1 }
        }
        return componentLength > 0 && !(dots == componentLength && dots <= 2)
    }

    /// True for one path component: `[A-Za-z0-9._-]` bytes, not empty, not `.` or `..`.
    static func isValidComponent(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !bytes.isEmpty else { return false }
        if bytes.count <= 2, bytes.allSatisfy({ $0 == UInt8(ascii: ".") }) { return false }
        return bytes.allSatisfy(isNameByte)
    }

    /// The bytes a path component may hold: `[A-Za-z0-9._-]`.
    @inline(__always)
    static func isNameByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
            || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
    }

    /// Throws ``StorageError/invalidPath(_:)`` unless ``isValid(_:)``.
    public static func check(_ path: String) throws {
        guard isValid(path) else { throw StorageError.invalidPath(path) }
    }

    /// Throws ``StorageError/invalidPath(_:)`` unless `path` is valid and names something a
    /// driver may create, replace or remove: never the root.
    public static func checkFile(_ path: String) throws {
        try check(path)
        if path == "/" { throw StorageError.invalidPath(path) }
    }

    /// The parent directory of `path` (`/` for top-level entries).
    public static func parent(_ path: String) -> String {
        guard let i = path.lastIndex(of: "/"), i != path.startIndex else { return "/" }
        return String(path[..<i])
    }

    /// Joins a directory and a child name.
    public static func join(_ dir: String, _ name: String) -> String {
        dir == "/" ? "/" + name : dir + "/" + name
    }
}
