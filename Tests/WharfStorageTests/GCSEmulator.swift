import Foundation
@testable import WharfStorage
import WharfHTTPClient

/// The GCS endpoint the shared driver suite runs against: `WHARF_TEST_GCS_ENDPOINT` when
/// set, else a `gcp-storage-emulator` this process starts on a free loopback port (it exits
/// with the test runner). Nil when neither is available (`WHARF_TEST_GCS=off` disables it).
enum GCSEmulator {
    static let endpoint: String? = {
        let env = ProcessInfo.processInfo.environment
        if env["WHARF_TEST_GCS"] == "off" { return nil }
        if let e = env["WHARF_TEST_GCS_ENDPOINT"], !e.isEmpty { return e }
        guard let port = ParentBoundServer.port(wrapper: "gcs_emulator_for_parent.py") else { return nil }
        return "http://127.0.0.1:\(port)"
    }()

    /// A driver on a fresh bucket of the endpoint, with the smallest chunk (256 KiB) so
    /// multi-chunk sessions are exercised.
    static func freshDriver(rootDirectory: String = "", chunkSize: Int = 256 << 10) async throws -> GCSDriver {
        let bucket = "wharf-test-" + UUID().uuidString.lowercased().prefix(18)
        let configuration = try GCSConfiguration(parameters: ["bucket": String(bucket), "endpoint": endpoint ?? "",
                                                              "chunksize": String(chunkSize), "rootdirectory": rootDirectory],
                                                 environment: [:])
        let driver = try GCSDriver(configuration: configuration)
        let body = try JSONSerialization.data(withJSONObject: ["name": String(bucket)])
        _ = try await driver.client.send("POST", target: driver.client.basePath + "/storage/v1/b?project=wharf",
                                         headers: [("Content-Type", "application/json")], body: body, idempotent: true)
        return driver
    }
}
