#!/bin/sh
# Records the git commit in the binary: rewrites Sources/WharfConfig/BuildInfo+Commit.swift
# so `wharf version`, the start line and imageregistry_build_info carry it.
#
#   .ci/stamp-commit.sh [COMMIT]      # default: git rev-parse HEAD of this checkout
#
# Release builds run it before `swift build` (the Dockerfile with --build-arg GIT_COMMIT,
# .ci/build-image.sh on a copy of the sources); `git checkout` of the file undoes it.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
commit=${1:-$(git -C "$root" rev-parse HEAD)}
case "$commit" in
    *[!0-9a-f]*|'') echo "stamp-commit: '$commit' is not a hex commit id" >&2; exit 2 ;;
esac
cat > "$root/Sources/WharfConfig/BuildInfo+Commit.swift" <<SWIFT
// Stamped by .ci/stamp-commit.sh for a release build.
extension BuildInfo {
    /// The git commit the binary was built from, as stamped; nil when not stamped.
    static let stampedCommit: String? = "$commit"
}
SWIFT
