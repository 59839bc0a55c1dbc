// Stamped by .ci/stamp-commit.sh for a release build.
extension BuildInfo {
    /// The git commit the binary was built from, as stamped; nil when not stamped.
    static let stampedCommit: String? = "ff0487dc99b596411a446cc09f6237cce6a64d10"
}
