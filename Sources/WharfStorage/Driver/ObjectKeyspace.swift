import Foundation

/// How object stores name things: a driver path maps to an object name (or key) under the
/// `rootdirectory` prefix, without the leading slash, as distribution lays out its buckets.
/// Shared by the S3 and GCS drivers so both read the same bucket layout.
struct ObjectKeyspace: Sendable, Equatable {
    /// `rootdirectory` without leading or trailing slashes.
    let rootDirectory: String

    /// The object name of a driver path (`""` for the root without a root directory).
    func key(_ path: String) -> String {
        let p = path == "/" ? "" : String(path.dropFirst())
        if rootDirectory.isEmpty { return p }
        return p.isEmpty ? rootDirectory : rootDirectory + "/" + p
    }

    /// The name prefix of everything below a directory path.
    func directoryPrefix(_ path: String) -> String {
        let k = key(path)
        return k.isEmpty ? "" : k + "/"
    }

    /// The driver path of a name below the root.
    func path(ofKey key: String) -> String {
        let relative = rootDirectory.isEmpty ? key : String(key.dropFirst(rootDirectory.count + 1))
        return "/" + relative
    }

    /// An RFC 3339 timestamp as object stores write them, with or without fractional seconds.
    static func isoDate(_ s: String?) -> Date? {
        guard let s else { return nil }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }
}
