import Foundation

/// How object-store drivers name a driver path, as distribution does: the `rootdirectory`
/// (without leading or trailing slashes), then the path without its leading slash. The
/// root path is the root directory itself (`""` without one).
struct ObjectKeys: Sendable, Equatable {
    /// The root directory, slashes trimmed.
    let root: String

    /// The object name of a driver path.
    func key(_ path: String) -> String {
        let p = path == "/" ? "" : String(path.dropFirst())
        if root.isEmpty { return p }
        return p.isEmpty ? root : root + "/" + p
    }

    /// The name prefix of everything below a directory path.
    func directoryPrefix(_ path: String) -> String {
        let k = key(path)
        return k.isEmpty ? "" : k + "/"
    }

    /// The driver path of an object name below the root.
    func path(ofKey key: String) -> String {
        "/" + (root.isEmpty ? key : String(key.dropFirst(root.count + 1)))
    }
}
