import Foundation

/// What identifies one version of a stored file, from a single `stat`: device, inode,
/// size, and change and modification times in nanoseconds. Replacing a file (a new inode
/// renamed over it), rewriting it or deleting it changes its stamp, so a cache keyed by
/// path can keep what it read and revalidate it with one syscall instead of a read.
///
/// Timestamps are as coarse as the file system's clock tick, so a file changed twice
/// within one tick could, with inode reuse, show an old stamp again: ``isSettled(now:)``
/// tells whether a stamp is old enough to vouch for the content read under it.
public struct FileStamp: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    /// Status change time (`st_ctime`), nanoseconds since the epoch.
    public var changeNanoseconds: Int64
    /// Modification time (`st_mtime`), nanoseconds since the epoch.
    public var modificationNanoseconds: Int64

    public init(device: UInt64, inode: UInt64, size: Int64, changeNanoseconds: Int64, modificationNanoseconds: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.changeNanoseconds = changeNanoseconds
        self.modificationNanoseconds = modificationNanoseconds
    }

    /// Now on the wall clock (`CLOCK_REALTIME`, the clock file times come from), in
    /// nanoseconds since the epoch: what ``isSettled(now:)`` and directory versions compare with.
    public static func wallClockNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// The margin past the last change after which a stamp can vouch for content.
    public static let settleNanoseconds: Int64 = 1_000_000_000

    /// True when the file last changed at least ``settleNanoseconds`` before `now`
    /// (nanoseconds since the epoch): any later change gets a later change time, so this
    /// stamp cannot come back. A younger file may be cached only by its content.
    public func isSettled(now: Int64) -> Bool {
        now - max(changeNanoseconds, modificationNanoseconds) >= Self.settleNanoseconds
    }
}
