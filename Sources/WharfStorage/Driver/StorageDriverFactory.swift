import Foundation

/// Builds a driver from the config's `storage:` section: the driver name and its
/// parameters, as strings (`storage.filesystem.rootdirectory: /var/lib/registry`).
///
/// | name         | parameters                                   |
/// |--------------|----------------------------------------------|
/// | `filesystem` | `rootdirectory` (default `./data`), `maxthreads` (default 100: concurrent blocking syscalls), `directwrites` (default true: uploads past 1 MiB bypass the page cache) |
/// | `inmemory`   | none                                         |
/// | `s3`         | see ``S3Configuration``                      |
///
/// New drivers (s3, gcs, swift, azure) add a case to ``make(name:parameters:)`` and their
/// name to ``knownNames``. The result is the bare driver; wrap it in
/// ``InstrumentedDriver`` to validate paths and observe calls.
///
/// ```swift
/// let driver = try StorageDriverFactory.make(name: "filesystem", parameters: ["rootdirectory": "/var/lib/registry"])
/// ```
public enum StorageDriverFactory {
    /// Every driver name ``make(name:parameters:)`` accepts.
    public static let knownNames = ["filesystem", "inmemory", "s3"]

    /// The default root of the filesystem driver, relative to the working directory.
    public static let defaultRootDirectory = "./data"

    /// Builds the driver called `name` (case-insensitive).
    ///
    /// - Throws: ``StorageError/unsupported(_:)`` for an unknown name or a bad parameter;
    ///   whatever the driver's initializer throws (e.g. an uncreatable root directory).
    public static func make(name: String, parameters: [String: String]) throws -> StorageDriver {
        switch name.lowercased() {
        case "filesystem":
            let root = parameters["rootdirectory"] ?? defaultRootDirectory
            guard !root.isEmpty else {
                throw StorageError.unsupported("storage.filesystem.rootdirectory must not be empty")
            }
            var maxThreads = 100
            if let text = parameters["maxthreads"] {
                guard let n = Int(text), n > 0 else {
                    throw StorageError.unsupported("storage.filesystem.maxthreads must be a positive integer, got \"\(text)\"")
                }
                maxThreads = n
            }
            var directWrites = true
            if let text = parameters["directwrites"] {
                switch text.lowercased() {
                case "true": directWrites = true
                case "false": directWrites = false
                default: throw StorageError.unsupported("storage.filesystem.directwrites must be true or false, got \"\(text)\"")
                }
            }
            return try FilesystemDriver(root: root, maxThreads: maxThreads, directWrites: directWrites)
        case "inmemory":
            return InMemoryDriver()
        case "s3":
            return try S3Driver(configuration: try S3Configuration(parameters: parameters))
        default:
            throw StorageError.unsupported(
                "unknown storage driver \"\(name)\"; known drivers: \(knownNames.joined(separator: ", "))")
        }
    }
}
