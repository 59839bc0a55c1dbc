import Foundation

/// What the configuration knows about one storage driver section: its name, the
/// parameters it takes, and how to build the typed ``StorageDriverConfiguration`` from them.
/// Adding a driver (s3, gcs, swift, azure) is one entry in ``all`` plus its enum case.
public struct StorageDriverSpec: Sendable {
    /// Section name under `storage:`.
    public let name: String
    /// Parameter keys accepted in the section (lower-case, no underscores).
    public let parameters: [String]
    /// Parameter values used when the section leaves them out (part of the raw parameters too).
    public let defaults: [String: String]
    /// Builds the typed configuration from the raw parameters (strings, as written).
    let build: @Sendable (_ parameters: [String: String], _ section: YAMLNode) throws -> StorageDriverConfiguration

    /// Every driver Wharf can run.
    public static let all: [StorageDriverSpec] = [
        StorageDriverSpec(name: "filesystem", parameters: ["rootdirectory", "maxthreads", "directwrites"],
                          defaults: ["rootdirectory": "./data"]) { params, section in
            let root = params["rootdirectory"] ?? "./data"
            if root.isEmpty { throw (section["rootdirectory"] ?? section).error("storage.filesystem.rootdirectory: must not be empty") }
            if let threads = params["maxthreads"], threads.isEmpty || !threads.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                throw (section["maxthreads"] ?? section).error("storage.filesystem.maxthreads: expected a non-negative integer, found '\(threads)'")
            }
            if let direct = params["directwrites"], !["true", "false"].contains(direct.lowercased()) {
                throw (section["directwrites"] ?? section).error("storage.filesystem.directwrites: expected true or false, found '\(direct)'")
            }
            return .filesystem(rootDirectory: root)
        },
        StorageDriverSpec(name: "inmemory", parameters: [], defaults: [:]) { _, _ in .inMemory },
        StorageDriverSpec.s3,
    ]

    /// Drivers distribution has that Wharf does not run yet: named in a clear error
    /// rather than "unknown key".
    public static let planned: [String] = ["gcs", "swift", "azure", "oss"]

    /// The spec named `name`.
    public static func named(_ name: String) -> StorageDriverSpec? {
        all.first { $0.name == name }
    }
}
