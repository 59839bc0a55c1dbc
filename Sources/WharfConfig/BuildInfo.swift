import Foundation

/// Wharf's version, in one place (printed by `wharf version` and logged at start).
public enum BuildInfo {
    /// The release version.
    public static let version = "0.1.0"
    /// The git commit built, when the build recorded it (release builds may replace this
    /// line); nil otherwise.
    public static let gitCommit: String? = nil

    /// `wharf <version>` plus the commit when known.
    public static var versionLine: String {
        "wharf \(version)" + (gitCommit.map { " \($0)" } ?? "")
    }
}
