import Foundation
import WharfConfig

/// Refuses to start on a filesystem storage root this process cannot write (unless the
/// registry is read-only): otherwise `/healthz` says ok while every push fails with 500.
enum StorageRootCheck {
    /// Why the configured root cannot be written, naming the path and the user; nil when it
    /// can (or the driver is not the filesystem, or the registry is read-only). A root that
    /// does not exist yet is judged by its nearest existing parent, where it would be made.
    static func problem(_ storage: Configuration.Storage) -> String? {
        guard storage.driverName == "filesystem", !storage.readOnly,
              let root = storage.driverParameters["rootdirectory"], !root.isEmpty else { return nil }
        var candidate = URL(fileURLWithPath: root).standardizedFileURL.path
        while !FileManager.default.fileExists(atPath: candidate), candidate != "/" {
            candidate = (candidate as NSString).deletingLastPathComponent
        }
        guard faccessat(AT_FDCWD, candidate, W_OK | X_OK, AT_EACCESS) != 0 else { return nil }
        let reason = String(cString: strerror(errno))
        let uid = geteuid(), gid = getegid()
        let user = getpwuid(uid).map { String(cString: $0.pointee.pw_name) } ?? "uid \(uid)"
        return "storage root \(root) is not writable by user \(user) (uid \(uid), gid \(gid)): \(candidate): \(reason)"
            + " (make it writable, or set storage.maintenance.readonly.enabled)"
    }
}
