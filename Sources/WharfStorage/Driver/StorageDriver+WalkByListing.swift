import Foundation

extension StorageDriver {
    /// ``StorageDriver/walk(_:_:)`` built on ``StorageDriver/list(_:)`` and
    /// ``StorageDriver/stat(_:)`` alone: the shared walk of backends without a faster
    /// native one (object stores; the in-memory driver). Children are visited in lexical
    /// order, each directory's subtree right after it; a missing `path` or a file is
    /// ``StorageError/pathNotFound(_:)``, as `list` reports it.
    public func walkByListing(_ path: String, _ visit: (FileInfo) async throws -> WalkAction) async throws {
        _ = try await walkByListing(from: path, visit)
    }

    /// Returns false when the visitor asked to stop.
    private func walkByListing(from directory: String, _ visit: (FileInfo) async throws -> WalkAction) async throws -> Bool {
        for child in try await list(directory).sorted() {
            let info = try await stat(child)
            switch try await visit(info) {
            case .stop: return false
            case .skipDirectory: continue
            case .continue:
                if info.isDirectory, !(try await walkByListing(from: child, visit)) { return false }
            }
        }
        return true
    }
}
