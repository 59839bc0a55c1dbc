import Foundation

/// A directory to delete with every file a listing found below it (see
/// ``StorageDriver/deleteListed(_:)``).
public struct ListedDirectory: Sendable, Equatable {
    /// The directory.
    public var path: String
    /// The files below it, as the caller's listing saw them.
    public var files: [String]

    public init(path: String, files: [String]) {
        self.path = path
        self.files = files
    }
}

/// Whole-tree work in as few requests as the driver allows: the one place that chooses
/// between ``FileListing``/``BatchDeletion`` and the ``StorageDriver`` core (garbage
/// collection's mark and sweep use it).
extension StorageDriver {
    /// Every file below `path` with its size and modification time: one flat listing where
    /// the driver has ``FileListing`` (key order), else the files of ``walk(_:_:)`` (walk order).
    /// A missing `path` is ``StorageError/pathNotFound(_:)``.
    public func walkFiles(_ path: String, _ visit: (FileInfo) async throws -> Void) async throws {
        if let listing = capabilities.fileListing {
            try await listing.walkFiles(path, visit)
        } else {
            try await walkFilesByWalking(path, visit)
        }
    }

    /// The files of ``walk(_:_:)``: ``walkFiles(_:_:)`` of a driver without ``FileListing``.
    public func walkFilesByWalking(_ path: String, _ visit: (FileInfo) async throws -> Void) async throws {
        try await walk(path) { info in
            if !info.isDirectory { try await visit(info) }
            return .continue
        }
    }

    /// Deletes each directory tree: with ``BatchDeletion``, the listed files in batches (on
    /// such a store the directory is gone with them; a file written below it since the
    /// listing stays); else one ``delete(_:)`` a directory. A directory already gone is no error.
    public func deleteListed(_ directories: [ListedDirectory]) async throws {
        if let batch = capabilities.batchDeletion {
            let files = directories.flatMap(\.files)
            if !files.isEmpty { try await batch.deleteFiles(files) }
            return
        }
        for directory in directories {
            do { try await delete(directory.path) } catch StorageError.pathNotFound {}
        }
    }
}

/// What an object store's flat listing (keys in order, no delimiter) shows as files: each
/// key that is not below a key already shown as a file (an S3 segmented file's segments
/// live below its own key, and it is one file, as its directory listing shows it).
struct FlatListingFiles {
    private var files: Set<Substring> = []

    /// One page of a flat listing: keys in order with size and time, and the next page's token.
    typealias Page<Token> = (objects: [(key: String, size: Int64, modTime: Date)], next: Token?)

    /// ``FileListing/walkFiles(_:_:)`` of an object store: reads the pages of the flat listing
    /// of `directory` (whose key prefix is `prefix`; `page` reads one from a token, nil for
    /// the first) and visits each file, its path from `path(ofKey:)`. Keys that name no
    /// driver path (a writer's pending parts) and the prefix's own marker object are skipped;
    /// none left is ``StorageError/pathNotFound(_:)`` (but for `/`).
    static func walk<Token>(_ directory: String, prefix: String, path: (String) -> String,
                            page: (Token?) async throws -> Page<Token>,
                            _ visit: (FileInfo) async throws -> Void) async throws {
        var files = FlatListingFiles()
        var token: Token? = nil
        var found = false
        repeat {
            let current = try await page(token)
            for object in current.objects where object.key != prefix {
                let child = path(object.key)
                guard StoragePath.isValid(child) else { continue }
                found = true
                guard files.admit(object.key) else { continue }
                try await visit(FileInfo(path: child, size: object.size, modTime: object.modTime, isDirectory: false))
            }
            token = current.next
        } while token != nil
        if !found && directory != "/" { throw StorageError.pathNotFound(directory) }
    }

    /// True when `key` is a file of its own; remembers it.
    mutating func admit(_ key: String) -> Bool {
        if Self.isBelow(key, anyOf: files) { return false }
        files.insert(Substring(key))
        return true
    }

    /// True when one of `key`'s parent prefixes (`a`, `a/b` of `a/b/c`) is in `files`.
    static func isBelow(_ key: String, anyOf files: Set<Substring>) -> Bool {
        guard !files.isEmpty else { return false }
        var index = key.startIndex
        while let slash = key[index...].firstIndex(of: "/") {
            if files.contains(key[..<slash]) { return true }
            index = key.index(after: slash)
        }
        return false
    }
}
