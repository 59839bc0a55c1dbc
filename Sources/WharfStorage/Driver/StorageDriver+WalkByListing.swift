import Foundation

/// The one depth-first walk every driver uses: what differs between backends is only how
/// one directory's children are read (`readdir` + `stat`, an object listing, or
/// ``StorageDriver/list(_:)`` + ``StorageDriver/stat(_:)``).
public enum StorageTreeWalk {
    /// Visits the subtree of `directory` in lexical order, each directory's subtree right
    /// after it. `children` returns one directory's entries sorted by path; a directory
    /// that vanished while the walk ran should come back empty. Returns false once the
    /// visitor asked to stop.
    public static func walk(_ directory: String,
                            children: (String) async throws -> [FileInfo],
                            _ visit: (FileInfo) async throws -> WalkAction) async throws -> Bool {
        for info in try await children(directory) {
            switch try await visit(info) {
            case .stop: return false
            case .skipDirectory: continue
            case .continue:
                if info.isDirectory, !(try await walk(info.path, children: children, visit)) { return false }
            }
        }
        return true
    }
}

extension StorageDriver {
    /// ``StorageDriver/walk(_:_:)`` built on ``StorageDriver/list(_:)`` and
    /// ``StorageDriver/stat(_:)`` alone: the shared walk of backends without a faster
    /// native listing (object stores; the in-memory driver). A missing `path` or a file is
    /// ``StorageError/pathNotFound(_:)``, as `list` reports it.
    public func walkByListing(_ path: String, _ visit: (FileInfo) async throws -> WalkAction) async throws {
        _ = try await StorageTreeWalk.walk(path, children: { directory in
            var infos: [FileInfo] = []
            for child in try await list(directory).sorted() { infos.append(try await stat(child)) }
            return infos
        }, visit)
    }
}
