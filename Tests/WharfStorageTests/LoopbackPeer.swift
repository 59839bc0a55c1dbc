import Foundation

/// Starts a test peer script from `Support/` (it prints its loopback port, then exits when
/// this process is gone) and returns `http://127.0.0.1:<port>`, or nil when it cannot run
/// (its Python package is not installed). The S3 (moto) and GCS emulators start this way.
enum LoopbackPeer {
    static func start(script name: String) -> String? {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Support/\(name)").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        // The first line is the port; EOF first means the peer is not installed.
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line += byte
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else { return nil }
        return "http://127.0.0.1:\(port)"
    }
}
