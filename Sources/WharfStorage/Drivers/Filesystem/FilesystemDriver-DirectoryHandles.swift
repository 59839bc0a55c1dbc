#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Directories held open, so a kept listing is validated with an `fstat` on a descriptor
/// instead of a `stat` that resolves a name (no path lookup, no name copy into the kernel).
extension FilesystemDriver {
    /// One blocking job: opens each directory without following a link at its last
    /// component, and reads its version through the new descriptor.
    public func openDirectoryHandles(_ paths: [String]) async throws -> [DirectoryHandle?]? {
        for p in paths { try StoragePath.check(p) }
        let hosts = paths.map(hostPath)
        let budget = handleBudget
        return try await io.run {
            hosts.map { host in
                guard budget.acquire() else { return nil }
                guard let (fd, version) = POSIXFileSystem.openDirectoryHandle(host) else {
                    budget.release()
                    return nil
                }
                return DirectoryHandle(descriptor: fd, version: version, budget: budget)
            }
        }
    }

    /// An `fstat` per handle, a `stat` per path; a directory with no links left was removed.
    /// One blocking job, or two at once for a large batch on more than one processor: the
    /// catalog's 1000 `fstat` calls are most of its latency, and halves finish in half the time.
    public func directoryVersions(_ directories: [DirectoryReference]) async throws -> [DirectoryVersion?] {
        enum Job { case host(String), descriptor(DirectoryHandle) }
        var jobs: [Job] = []
        jobs.reserveCapacity(directories.count)
        for directory in directories {
            switch directory {
            case .path(let path):
                try StoragePath.check(path)
                jobs.append(.host(hostPath(path)))
            case .handle(let handle):
                jobs.append(.descriptor(handle))
            }
        }
        @Sendable func versions(_ part: ArraySlice<Job>) -> [DirectoryVersion?] {
            part.map { job in
                switch job {
                case .host(let host): return POSIXFileSystem.directoryVersion(host)
                case .descriptor(let handle): return POSIXFileSystem.directoryVersion(descriptor: handle.descriptor)
                }
            }
        }
        let all = jobs
        guard all.count >= 2 * Self.versionsPerJob, Self.processors > 1 else {
            return try await io.run { versions(all[...]) }
        }
        let half = all.count / 2
        async let front = io.run { versions(all[..<half]) }
        let back = try await io.run { versions(all[half...]) }
        return try await front + back
    }

    /// Below twice this many directories, one job: a second thread's wake-up costs more
    /// than it saves.
    static let versionsPerJob = 256
    static let processors = ProcessInfo.processInfo.activeProcessorCount
}

extension POSIXFileSystem {
    /// Opens `host` as a directory for ``directoryVersion(descriptor:)``, with its version.
    static func openDirectoryHandle(_ host: String) -> (fd: Int32, version: DirectoryVersion)? {
        let flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
        let fd = retryingOnInterrupt { open(host, flags) }
        guard fd >= 0 else { return nil }
        guard let version = directoryVersion(descriptor: fd) else {
            close(fd)
            return nil
        }
        return (fd, version)
    }

    // Glibc's `S_IFMT` and `S_IFDIR` are computed properties, read once here rather than
    // twice per directory on the catalog's hot path.
    private static let typeMask = S_IFMT
    private static let directoryType = S_IFDIR

    /// The version of the directory open at `descriptor`; nil once it has been removed.
    static func directoryVersion(descriptor: Int32) -> DirectoryVersion? {
        var st = stat()
        guard fstat(descriptor, &st) == 0, (st.st_mode & typeMask) == directoryType, st.st_nlink > 0 else { return nil }
        return version(st)
    }

    /// The version of the directory at `host` (a link to one is followed, as listing does).
    static func directoryVersion(_ host: String) -> DirectoryVersion? {
        var st = stat()
        guard stat(host, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return nil }
        return version(st)
    }
}
