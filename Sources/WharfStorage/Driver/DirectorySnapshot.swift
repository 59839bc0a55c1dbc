/// One state of a directory's list of entries, as cheap to read again as a `stat`.
///
/// The filesystem driver builds it from the directory's inode number, change and
/// modification times (nanoseconds), link count and size: creating, renaming or removing an
/// entry changes the modification time, and a new or removed subdirectory also the link
/// count. Equal versions mean "the listing taken with this version is still the listing".
/// Opaque to callers: compare, never interpret.
public struct DirectoryVersion: Hashable, Sendable {
    let f0, f1, f2, f3, f4, f5: Int64

    /// A version made of up to six driver-specific numbers (drivers and tests only).
    public init(_ f0: Int64, _ f1: Int64, _ f2: Int64 = 0, _ f3: Int64 = 0, _ f4: Int64 = 0, _ f5: Int64 = 0) {
        (self.f0, self.f1, self.f2, self.f3, self.f4, self.f5) = (f0, f1, f2, f3, f4, f5)
    }
}

/// One entry of a directory listing.
public struct DirectoryEntry: Hashable, Sendable {
    /// The entry's name (one path component).
    public var name: String
    /// True for a directory (never for a link to one, which drivers neither report nor follow).
    public var isDirectory: Bool

    public init(name: String, isDirectory: Bool) {
        self.name = name
        self.isDirectory = isDirectory
    }
}

/// A directory to list with ``StorageDriver/listDirectories(_:)``, and the version of the
/// listing the caller already holds, if any.
public struct DirectoryQuery: Sendable {
    /// The directory's absolute driver path.
    public var path: String
    /// The version the caller's copy of the listing was taken at; nil to always list.
    public var known: DirectoryVersion?

    public init(path: String, known: DirectoryVersion?) {
        self.path = path
        self.known = known
    }
}

/// What ``StorageDriver/listDirectories(_:)`` found for one ``DirectoryQuery``.
public enum DirectorySnapshot: Sendable, Equatable {
    /// The directory's version still equals ``DirectoryQuery/known``: the caller's copy holds.
    case unchanged
    /// The entries (addressable names only, sorted), and the version to validate this
    /// listing with later. The version is nil when the directory changed too recently for its
    /// timestamps to tell the next change apart (coarse file system clocks): such a listing
    /// must not be reused.
    case listed([DirectoryEntry], version: DirectoryVersion?)
    /// No directory at this path (or a file).
    case missing
}
