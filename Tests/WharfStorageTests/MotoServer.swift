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
        // The port, once moto answers; none when moto is not installed.
        guard let port = ParentBoundServer.port(wrapper: "moto_for_parent.py") else { return nil }
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
