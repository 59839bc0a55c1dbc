import Foundation

extension FilesystemDriver {
    /// The default `rootdirectory`, relative to the working directory.
    public static let defaultRootDirectory = "./data"

    /// `storage.filesystem`: see docs/configuration.md.
    public static let registration = StorageDriverRegistration(name: "filesystem", parameters: [
        StorageDriverParameter("rootdirectory", .nonEmptyString, default: defaultRootDirectory, required: true),
        StorageDriverParameter("maxthreads", .integer(1...Int.max), default: "100"),
        StorageDriverParameter("directwrites", .boolean, default: "true"),
    ]) { p in
        try FilesystemDriver(root: p.string("rootdirectory") ?? defaultRootDirectory,
                             maxThreads: p.integer("maxthreads") ?? 100,
                             directWrites: p.boolean("directwrites") ?? true)
    }
}
