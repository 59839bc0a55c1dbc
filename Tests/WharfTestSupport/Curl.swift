import Foundation

/// Runs curl (`-sS --max-time 120` plus `args`) and returns (exit status, stdout, stderr).
/// Tests use it as an independent, widely deployed client to check the server against.
public func runCurl(_ args: [String], stdin: FileHandle? = nil) throws -> (Int32, Data, String) {
    let r = try ProcessLauncher.run("/usr/bin/curl", ["-sS", "--max-time", "120"] + args, stdinFile: stdin, timeout: 150)
    return (r.status, r.stdout, r.stderrText)
}
