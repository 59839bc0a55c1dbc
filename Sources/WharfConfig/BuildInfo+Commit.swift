// Release builds replace this file with .ci/stamp-commit.sh (the Dockerfile and
// .ci/build-image.sh do); a plain `swift build` keeps it as it is in git.
extension BuildInfo {
    /// The git commit the binary was built from, as stamped; nil when not stamped.
    static let stampedCommit: String? = nil
}
