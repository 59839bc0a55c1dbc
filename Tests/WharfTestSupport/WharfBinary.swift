import Foundation

/// Finds and runs the built `wharf` executable as a user would (CLI and end-to-end tests).
public enum WharfBinary {
    /// The `wharf` executable: `$WHARF_BINARY` if set, else the products directory the test
    /// bundle sits in (`.build/debug`, filled by `swift build`).
    public static func url() throws -> URL {
        if let explicit = ProcessInfo.processInfo.environment["WHARF_BINARY"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        // Depending on the platform Bundle reports the test bundle itself or its directory.
        let bundle = Bundle(for: BundleMarker.self).bundleURL
        let candidates = [bundle.appendingPathComponent("wharf"),
                          bundle.deletingLastPathComponent().appendingPathComponent("wharf"),
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("wharf")]
        guard let found = ProcessLauncher.firstExecutable(candidates.map(\.path)) else {
            throw ProcessLaunchError("wharf binary not found in \(candidates.map(\.path)): run swift build first")
        }
        return URL(fileURLWithPath: found)
    }

    /// Runs `wharf arguments…` to completion with `environment` plus a minimal PATH (nothing
    /// else of the test's environment leaks in, so REGISTRY_* variables are the test's own).
    public static func run(_ arguments: [String], environment: [String: String] = [:],
                           timeout: TimeInterval = 60) throws -> ProcessOutcome {
        try ProcessLauncher.run(url().path, arguments, environment: environment.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a },
                                timeout: timeout)
    }
}

private final class BundleMarker {}
