import Foundation
@testable import WharfStorage

/// The Azure Blob endpoint the shared driver suite runs against: `WHARF_TEST_AZURE_ENDPOINT`
/// (`http://127.0.0.1:9306/devstoreaccount1`) when set, else the repository's sibling
/// `shared/emulators/azure-blob-fake.py` started by this process on a free loopback port
/// (it exits with the test runner). Nil when neither is available (`WHARF_TEST_AZURE=off`
/// disables it; the fake needs `pip install azure-storage-blob`).
enum AzureBlobFake {
    static let account = "devstoreaccount1"
    static let key = AzureSharedKeySignerTests.azuriteKey

    /// `../shared/emulators/azure-blob-fake.py` relative to the repository root.
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/emulators/azure-blob-fake.py")
            .standardizedFileURL.path
    }

    static let endpoint: String? = {
        let env = ProcessInfo.processInfo.environment
        if env["WHARF_TEST_AZURE"] == "off" { return nil }
        if let e = env["WHARF_TEST_AZURE_ENDPOINT"], !e.isEmpty { return e }
        guard FileManager.default.fileExists(atPath: script) else { return nil }
        guard let port = ParentBoundServer.port(wrapper: "azure_for_parent.py", arguments: [script]) else { return nil }
        return "http://127.0.0.1:\(port)/\(account)"
    }()

    /// A driver on a fresh container of the endpoint.
    static func freshDriver(rootDirectory: String = "", chunkSize: Int = 1 << 20) async throws -> AzureDriver {
        let container = "wharf-test-" + UUID().uuidString.lowercased().prefix(18)
        let configuration = try AzureConfiguration(parameters: [
            "accountname": account, "accountkey": key, "container": String(container), "serviceurl": endpoint ?? "",
            "rootdirectory": rootDirectory, "chunksize": String(chunkSize)])
        let driver = try AzureDriver(configuration: configuration)
        _ = try await driver.client.send("PUT", blob: "", query: [("restype", "container")])
        return driver
    }
}
