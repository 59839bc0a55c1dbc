import Foundation
@testable import WharfStorage

/// The S3 endpoint the shared driver suite runs against: `WHARF_TEST_S3_ENDPOINT`
/// (`http://127.0.0.1:5000`) when set, else a `moto_server` this process starts on a free
/// loopback port (it exits with the test runner). Nil when neither is available
/// (`WHARF_TEST_S3=off` disables S3 explicitly).
enum MotoServer {
    static let endpoint: String? = {
        let env = ProcessInfo.processInfo.environment
        if env["WHARF_TEST_S3"] == "off" { return nil }
        if let e = env["WHARF_TEST_S3_ENDPOINT"], !e.isEmpty { return e }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Support/moto_for_parent.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        // The first line is the port; EOF first means moto is not installed.
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line += byte
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else { return nil }
        return "http://127.0.0.1:\(port)"
    }()

    /// A driver on a fresh bucket of the endpoint.
    static func freshDriver(rootDirectory: String = "") async throws -> S3Driver {
        let bucket = "wharf-test-" + UUID().uuidString.lowercased().prefix(18)
        let configuration = try S3Configuration(parameters: ["bucket": String(bucket), "regionendpoint": endpoint ?? "",
                                                             "accesskey": "test", "secretkey": "test", "region": "us-east-1",
                                                             "chunksize": String(5 << 20), "rootdirectory": rootDirectory],
                                                environment: [:])
        let driver = try S3Driver(configuration: configuration)
        _ = try await driver.client.send("PUT", key: "")
        return driver
    }
}
