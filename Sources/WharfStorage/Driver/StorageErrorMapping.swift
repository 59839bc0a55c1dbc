import Foundation

/// A backend that turns its own errors (HTTP statuses, service codes, transport failures)
/// into ``StorageError``s; ``mapping(_:_:_:)`` is then the one way its calls run.
protocol StorageErrorMapping {
    /// The ``StorageError`` for `error`, raised by `operation` on `path`.
    func storageError(_ error: Error, path: String, operation: String) -> Error
}

extension StorageErrorMapping {
    /// Runs `body`, mapping every error through ``storageError(_:path:operation:)``.
    func mapping<T>(_ path: String, _ operation: String, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch { throw storageError(error, path: path, operation: operation) }
    }
}
