import Foundation

/// Wharf's version, in one place (printed by `wharf version` and logged at start).
public enum BuildInfo {
    /// The release version.
    public static let version = "0.1.0"
    /// The git commit built, when the build recorded it (release builds stamp it, see
    /// `BuildInfo+Commit.swift`); nil otherwise.
    public static let gitCommit: String? = stampedCommit

    /// `wharf <version> <commit>`, or `wharf <version> (commit not stamped)` for a plain build.
    public static var versionLine: String {
        "wharf \(version) " + (gitCommit ?? "(commit not stamped)")
    }
}
