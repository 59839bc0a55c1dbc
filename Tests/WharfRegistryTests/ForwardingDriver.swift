import Foundation
import WharfStorage

/// A test driver that passes the ``StorageDriver`` core calls on to `inner`: a test type
/// conforms and writes only the calls it observes or changes. It has none of the optional
/// capabilities (local files, directory versions, file stamps, scratch writes) unless the
/// type declares the capability protocol and implements it.
///
/// ```swift
/// final class SlowStat: ForwardingDriver, @unchecked Sendable {
///     let inner = InMemoryDriver()
///     func stat(_ path: String) async throws -> FileInfo { try await Task.sleep(nanoseconds: 1_000); return try await inner.stat(path) }
/// }
/// ```
protocol ForwardingDriver: StorageDriver {
    associatedtype Inner: StorageDriver
    var inner: Inner { get }
}

extension ForwardingDriver {
    var name: String { inner.name }
    func getContent(_ path: String) async throws -> Data { try await inner.getContent(path) }
    func putContent(_ path: String, _ content: Data) async throws { try await inner.putContent(path, content) }
    func reader(_ path: String, offset: Int64) async throws -> StorageReader { try await inner.reader(path, offset: offset) }
    func writer(_ path: String, append: Bool) async throws -> StorageWriter { try await inner.writer(path, append: append) }
    func stat(_ path: String) async throws -> FileInfo { try await inner.stat(path) }
    func list(_ path: String) async throws -> [String] { try await inner.list(path) }
    func move(from source: String, to destination: String) async throws { try await inner.move(from: source, to: destination) }
    func delete(_ path: String) async throws { try await inner.delete(path) }
    func redirectURL(_ path: String, method: String) async throws -> String? { try await inner.redirectURL(path, method: method) }
    func walk(_ path: String, _ visit: (FileInfo) async throws -> WalkAction) async throws { try await inner.walk(path, visit) }
}
