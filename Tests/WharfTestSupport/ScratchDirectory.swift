import Foundation
import XCTest

/// A fresh directory under the system temporary directory, for one test or one test class.
/// `XCTestCase.makeScratchDirectory` removes it at teardown; class-level users call `remove()`.
public final class ScratchDirectory: @unchecked Sendable {
    public let url: URL
    public var path: String { url.path }

    /// Creates `<tmp>/<prefix>-<uuid>`.
    public init(prefix: String = "wharf-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The URL of `name` inside this directory (not created).
    public func appending(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Writes `contents` to `name` inside this directory and returns its URL.
    @discardableResult
    public func file(_ name: String, contents: Data) throws -> URL {
        let file = appending(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: file)
        return file
    }

    /// Writes `text` as UTF-8 to `name` inside this directory and returns its URL.
    @discardableResult
    public func file(_ name: String, text: String) throws -> URL { try file(name, contents: Data(text.utf8)) }

    /// Removes the directory and everything in it (see `Scratch.remove`).
    public func remove() { Scratch.remove(url) }
}

/// Scratch directories as plain URLs, for swift-testing suites (which have no teardown):
/// `make()` then `defer { remove(url) }`, or `with { url in … }`.
public enum Scratch {
    /// Creates `<tmp>/<prefix>-<uuid>` and returns its URL.
    public static func make(prefix: String = "wharf-test") throws -> URL { try ScratchDirectory(prefix: prefix).url }

    /// Removes `url` and everything below it; write permission is restored first where a
    /// test took it away, so read-only fixtures do not survive.
    public static func remove(_ url: URL) {
        let fm = FileManager.default
        if (try? fm.removeItem(at: url)) != nil { return }
        if let walker = fm.enumerator(atPath: url.path) {
            for case let relative as String in walker {
                try? fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: url.appendingPathComponent(relative).path)
            }
        }
        try? fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: url.path)
        try? fm.removeItem(at: url)
    }

    /// Runs `body` with a fresh scratch directory, then removes it.
    public static func with<T>(prefix: String = "wharf-test", _ body: (URL) async throws -> T) async throws -> T {
        let url = try make(prefix: prefix)
        defer { remove(url) }
        return try await body(url)
    }
}

extension XCTestCase {
    /// A scratch directory removed when the current test ends.
    public func makeScratchDirectory(_ prefix: String = "wharf-test") throws -> ScratchDirectory {
        let dir = try ScratchDirectory(prefix: prefix)
        addTeardownBlock { dir.remove() }
        return dir
    }

    /// A scratch file holding `contents` (named `<prefix>-<uuid><suffix>`), removed when the current test ends.
    public func makeScratchFile(_ contents: Data, prefix: String = "wharf-test", suffix: String = "") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)\(suffix)")
        try contents.write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A scratch text file (UTF-8), removed when the current test ends; returns its path.
    public func makeScratchFile(_ text: String, prefix: String = "wharf-test", suffix: String = "") throws -> String {
        try makeScratchFile(Data(text.utf8), prefix: prefix, suffix: suffix).path
    }
}
