import Foundation
import WharfConfig

/// `wharf version`: `wharf <version> [<git commit>]`.
enum VersionCommand: WharfCommand {
    static let name = "version"
    static let summary = "Print the version"
    static let usage = """
    Usage: wharf version

    Prints 'wharf <version>', followed by the git commit when the build recorded it.
    """

    static func run(_ arguments: [String]) async -> Int32 {
        if case .failure(let status) = WharfCommandLine.parse(arguments, for: self, positionals: 0...0) { return status.code }
        Console.out(BuildInfo.versionLine)
        return ExitCode.success
    }
}
