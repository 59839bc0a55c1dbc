import Foundation

/// One `wharf` subcommand. Adding a command is one file with a type conforming to this,
/// plus its name in ``WharfCommandLine/commands``.
protocol WharfCommand {
    /// The word typed after `wharf`.
    static var name: String { get }
    /// One line for the command list.
    static var summary: String { get }
    /// Full usage text, printed by `wharf help <name>` and `wharf <name> --help`.
    static var usage: String { get }
    /// Runs with the arguments after the command name; returns the process exit code.
    static func run(_ arguments: [String]) async -> Int32
}

/// Exit codes shared by all commands.
enum ExitCode {
    static let success: Int32 = 0
    /// Runtime failure (cannot bind, storage unusable).
    static let failure: Int32 = 1
    /// Bad usage or bad configuration.
    static let usage: Int32 = 2
}

/// Writes to the standard streams without buffering surprises.
enum Console {
    static func out(_ text: String) { write(1, text) }
    static func err(_ text: String) { write(2, text) }

    private static func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { return }
            offset += n
        }
    }
}
