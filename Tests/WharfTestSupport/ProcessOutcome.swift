import Foundation

/// What a finished child process left: its exit status and everything it wrote.
public struct ProcessOutcome: Sendable {
    /// The exit status (or the signal number when `timedOut`, since the launcher killed it).
    public var status: Int32
    public var stdout: Data
    public var stderr: Data
    /// True when the launcher terminated the process because it outlived its timeout.
    public var timedOut: Bool

    /// Standard output as UTF-8 text.
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    /// Standard error as UTF-8 text.
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Why a process could not be launched at all (as opposed to running and failing).
public struct ProcessLaunchError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
