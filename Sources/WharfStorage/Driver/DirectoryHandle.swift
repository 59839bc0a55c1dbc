#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A directory held open by a driver, so its ``DirectoryVersion`` can be read again without
/// resolving its path (``StorageDriver/directoryVersions(_:)``: an `fstat`, half the cost of
/// a `stat` by name on Linux).
///
/// A handle names the directory object it was opened on, not a path: once an entry on the
/// way to it is renamed, removed or replaced, the handle and the path part. A caller may
/// trust a handle's answer for its path only while the parent's version it holds is still
/// current and the handle was opened after that version was read (the registry's catalog
/// index keeps both rules). Opaque to callers; closed when released.
public final class DirectoryHandle: @unchecked Sendable {
    /// The open descriptor.
    let descriptor: Int32
    /// The directory's version when the handle was opened.
    public let version: DirectoryVersion
    private let budget: DirectoryHandleBudget

    init(descriptor: Int32, version: DirectoryVersion, budget: DirectoryHandleBudget) {
        self.descriptor = descriptor
        self.version = version
        self.budget = budget
    }

    deinit {
        close(descriptor)
        budget.release()
    }
}

/// A directory to read the version of with ``StorageDriver/directoryVersions(_:)``.
public enum DirectoryReference: Sendable {
    /// The directory at this absolute driver path now.
    case path(String)
    /// The directory the handle was opened on.
    case handle(DirectoryHandle)
}

/// How many ``DirectoryHandle``s one driver may hold open at once, so held directories never
/// starve connections and files of descriptors: a quarter of the soft `RLIMIT_NOFILE`.
final class DirectoryHandleBudget: @unchecked Sendable {
    let limit: Int
    private var held = 0
    private let lock = NSLock()

    init(limit: Int = DirectoryHandleBudget.defaultLimit()) {
        self.limit = limit
    }

    /// Takes one descriptor from the budget; false when it is spent.
    func acquire() -> Bool {
        lock.withLock {
            guard held < limit else { return false }
            held += 1
            return true
        }
    }

    func release() {
        lock.withLock { held -= 1 }
    }

    #if canImport(Glibc)
    private static let RLIMIT_NOFILE_RESOURCE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let RLIMIT_NOFILE_RESOURCE = RLIMIT_NOFILE
    #endif

    static func defaultLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_RESOURCE, &limit) == 0 else { return 256 }
        return Int(min(UInt64(limit.rlim_cur) / 4, 1 << 20))
    }
}
