import Foundation

/// Starts a test peer through one of the `Support/*_for_parent.py` wrappers: they print the
/// loopback port once the peer answers and stop it when the test runner is gone.
enum ParentBoundServer {
    /// Runs `python3 Support/<wrapper> <arguments>` and returns the port it prints, or nil
    /// when it ends without one (the peer is not installed).
    static func port(wrapper: String, arguments: [String] = []) -> Int? {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Support/\(wrapper)").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line += byte
        }
        return Int(String(decoding: line, as: UTF8.self))
    }
}
