import Foundation

/// A driver whose content is in local files: the HTTP layer can `sendfile` a blob.
public protocol LocalFileAccess: AnyObject, Sendable {
    /// An open file descriptor and size for the file at `path` (the caller closes it);
    /// nil when this file has no local copy.
    func openLocalFile(_ path: String) throws -> (descriptor: Int32, size: Int64)?
}

/// A driver with directories that carry versions, so listings can be kept in memory
/// and revalidated for the price of a `stat` (the catalog index, tag lists).
public protocol DirectoryVersioning: AnyObject, Sendable {
    /// Lists several directories in one call, skipping those whose version still equals
    /// the caller's (``DirectorySnapshot/unchanged``). One answer per query, in order; nil
    /// when versions are unavailable after all (e.g. behind a wrapper of a driver without them).
    func listDirectories(_ queries: [DirectoryQuery]) async throws -> [DirectorySnapshot]?

    /// Opens a ``DirectoryHandle`` on each directory, in order: nil for one that is missing,
    /// not a directory, or beyond the driver's budget of open handles. Nil when the driver
    /// has no handles: callers then validate with ``listDirectories(_:)``.
    func openDirectoryHandles(_ paths: [String]) async throws -> [DirectoryHandle?]?

    /// The current version of each directory, in order, in one call: read at its path, or
    /// through its handle (see ``DirectoryHandle`` for when that is the version at its path);
    /// nil for one that is missing, removed or cannot be read.
    func directoryVersions(_ directories: [DirectoryReference]) async throws -> [DirectoryVersion?]
}

/// A driver that can tell cheaply whether a small file changed (the link cache).
public protocol FileStamping: AnyObject, Sendable {
    /// A cheap identity of the regular file at `path` as stored now (see ``FileStamp``):
    /// one local syscall on the calling thread, no thread hop, no network round trip.
    /// Nil when the file is missing or the check failed: the caller then reads the file.
    func fileStamp(_ path: String) -> FileStamp?
}

/// A driver that can write a small file more cheaply when it need not survive a crash
/// (upload bookkeeping such as `startedat`, which a client recreates by starting over).
public protocol ScratchWrites: AnyObject, Sendable {
    /// As ``StorageDriver/putContent(_:_:)``, but the driver may skip what only durability
    /// needs (the filesystem driver's fsyncs).
    func putScratchContent(_ path: String, _ content: Data) async throws
}

/// A driver that lists every file below a directory in a few calls (an object store's flat
/// listing, a thousand keys a request) instead of one listing per directory.
public protocol FileListing: AnyObject, Sendable {
    /// Calls `visit` with every file ``StorageDriver/walk(_:_:)`` would visit below `path`,
    /// with its size and modification time, in the store's key order (not the walk's: `a-b`
    /// may come before `a/c`). A missing `path` is ``StorageError/pathNotFound(_:)``.
    func walkFiles(_ path: String, _ visit: (FileInfo) async throws -> Void) async throws
}

/// A driver that deletes many files in one request (S3 DeleteObjects, up to 1000 keys), on
/// a store whose directories are only key prefixes: deleting a directory's files deletes it.
public protocol BatchDeletion: AnyObject, Sendable {
    /// Deletes each file (never a directory tree: list it first); a file already missing is
    /// no error. Files are single objects: a file with parts of its own (an S3 segmented
    /// upload, only ever under `_uploads`) keeps its parts, which ``StorageDriver/delete(_:)`` removes.
    func deleteFiles(_ paths: [String]) async throws
}

/// The optional capabilities of one driver, resolved once (at start-up, by the registry's
/// stores) so hot paths pay no dynamic cast per request. A nil member means the driver
/// lacks it: the caller uses the ``StorageDriver`` core instead.
public struct StorageCapabilities: Sendable {
    /// Local files for `sendfile`.
    public var localFiles: (any LocalFileAccess)?
    /// Directory versions and handles.
    public var directories: (any DirectoryVersioning)?
    /// File stamps.
    public var fileStamps: (any FileStamping)?
    /// Scratch writes.
    public var scratchWrites: (any ScratchWrites)?
    /// Flat listings of files.
    public var fileListing: (any FileListing)?
    /// Deletion of many files a request.
    public var batchDeletion: (any BatchDeletion)?

    /// Explicit capabilities (a wrapper reporting its own forwarding implementations).
    public init(localFiles: (any LocalFileAccess)? = nil, directories: (any DirectoryVersioning)? = nil,
                fileStamps: (any FileStamping)? = nil, scratchWrites: (any ScratchWrites)? = nil,
                fileListing: (any FileListing)? = nil, batchDeletion: (any BatchDeletion)? = nil) {
        self.localFiles = localFiles
        self.directories = directories
        self.fileStamps = fileStamps
        self.scratchWrites = scratchWrites
        self.fileListing = fileListing
        self.batchDeletion = batchDeletion
    }

    /// The capabilities `driver` conforms to.
    public init(of driver: StorageDriver) {
        self.init(localFiles: driver as? LocalFileAccess, directories: driver as? DirectoryVersioning,
                  fileStamps: driver as? FileStamping, scratchWrites: driver as? ScratchWrites,
                  fileListing: driver as? FileListing, batchDeletion: driver as? BatchDeletion)
    }
}

extension StorageDriver {
    /// Writes through ``ScratchWrites`` when the driver has it, else ``putContent(_:_:)``.
    public func putScratchContent(_ path: String, _ content: Data) async throws {
        try await putScratchContent(path, content, capabilities: capabilities)
    }

    /// As ``putScratchContent(_:_:)``, with this driver's capabilities resolved by the caller.
    public func putScratchContent(_ path: String, _ content: Data, capabilities: StorageCapabilities) async throws {
        if let scratch = capabilities.scratchWrites {
            try await scratch.putScratchContent(path, content)
        } else {
            try await putContent(path, content)
        }
    }
}
