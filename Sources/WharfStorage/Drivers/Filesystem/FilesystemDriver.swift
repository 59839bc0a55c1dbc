import Foundation

/// The embedded default: files under a root directory (`storage.filesystem.rootdirectory`, default `./data`).
public final class FilesystemDriver: StorageDriver, @unchecked Sendable {
    public let name = "filesystem"
    public let root: String

    public init(root: String) throws {
        self.root = root
    }

    public func getContent(_ path: String) async throws -> Data { throw StorageError.unsupported("todo") }
    public func putContent(_ path: String, _ content: Data) async throws { throw StorageError.unsupported("todo") }
    public func reader(_ path: String, offset: Int64) async throws -> StorageReader { throw StorageError.unsupported("todo") }
    public func writer(_ path: String, append: Bool) async throws -> StorageWriter { throw StorageError.unsupported("todo") }
    public func stat(_ path: String) async throws -> FileInfo { throw StorageError.unsupported("todo") }
    public func list(_ path: String) async throws -> [String] { throw StorageError.unsupported("todo") }
    public func move(from source: String, to destination: String) async throws { throw StorageError.unsupported("todo") }
    public func delete(_ path: String) async throws { throw StorageError.unsupported("todo") }
    public func redirectURL(_ path: String, method: String) async throws -> String? { nil }
    public func walk(_ path: String, _ visit: (FileInfo) async throws -> WalkAction) async throws { throw StorageError.unsupported("todo") }
}
