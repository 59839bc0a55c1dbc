import Foundation

/// Runs child processes for tests (curl, openssl, python, the `wharf` binary) with both
/// output pipes drained concurrently, so neither fills up, and a timeout that kills a hung
/// child instead of hanging the test run.
public enum ProcessLauncher {
    /// Runs `executable` with `arguments` to completion and returns its outcome.
    /// - Parameters:
    ///   - environment: the child's whole environment; nil inherits this process's.
    ///   - stdin: bytes written to the child's standard input (then closed); nil leaves it inherited.
    ///   - stdinFile: a file handle to read standard input from instead (e.g. a large file).
    ///   - timeout: seconds before the child is sent SIGTERM and the outcome marked `timedOut`.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           stdin: Data? = nil, stdinFile: FileHandle? = nil,
                           timeout: TimeInterval = 300) throws -> ProcessOutcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = stdin.map { _ in Pipe() }
        if let input { process.standardInput = input } else if let stdinFile { process.standardInput = stdinFile }
        do { try process.run() } catch { throw ProcessLaunchError("cannot start \(executable): \(error)") }

        let watchdog = Watchdog(process: process, timeout: timeout)
        let errData = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errData.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if let input, let stdin {
            group.enter()
            DispatchQueue.global().async {
                try? input.fileHandleForWriting.write(contentsOf: stdin)
                try? input.fileHandleForWriting.close()
                group.leave()
            }
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        watchdog.cancel()
        return ProcessOutcome(status: process.terminationStatus, stdout: outData, stderr: errData.data,
                              timedOut: watchdog.fired)
    }

    /// Runs `command` with `/bin/sh -c` (for pipelines such as `head -c N /dev/zero | curl -T -`).
    public static func shell(_ command: String, timeout: TimeInterval = 600) throws -> ProcessOutcome {
        try run("/bin/sh", ["-c", command], timeout: timeout)
    }

    /// The first of `candidates` that is an executable file, or nil.
    public static func firstExecutable(_ candidates: [String]) -> String? {
        candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// A buffer one drain thread fills and the launcher reads after joining it.
private final class DataBox: @unchecked Sendable { var data = Data() }

/// Terminates a process that outlives its timeout; `fired` says whether it had to.
private final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var _fired = false
    private var item: DispatchWorkItem?

    init(process: Process, timeout: TimeInterval) {
        let item = DispatchWorkItem { [weak self] in
            guard process.isRunning else { return }
            self?.lock.withLock { self?._fired = true }
            process.terminate()
        }
        self.item = item
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: item)
    }

    var fired: Bool { lock.withLock { _fired } }
    func cancel() { item?.cancel() }
}
