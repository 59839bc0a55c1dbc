import Foundation
import WharfStorage

/// Reading and writing distribution's `link` files (a digest string, no newline).
struct LinkFiles: Sendable {
    let driver: StorageDriver

    /// The digest a link holds, or nil when the link does not exist.
    /// A link with unparsable content counts as missing.
    func read(_ path: String) async throws -> Digest? {
        do {
            let data = try await driver.getContent(path)
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return Digest.parse(text)
        } catch StorageError.pathNotFound {
            return nil
        }
    }

    func write(_ path: String, _ digest: Digest) async throws {
        try await driver.putContent(path, Data(digest.string.utf8))
    }

    /// Deletes `path`; true when it existed.
    @discardableResult
    func delete(_ path: String) async throws -> Bool {
        do {
            try await driver.delete(path)
            return true
        } catch StorageError.pathNotFound {
            return false
        }
    }

    /// True when a file or directory exists at `path`.
    func exists(_ path: String) async throws -> Bool {
        do {
            _ = try await driver.stat(path)
            return true
        } catch StorageError.pathNotFound {
            return false
        }
    }
}
