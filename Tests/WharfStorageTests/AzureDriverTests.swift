import Foundation
import Testing
@testable import WharfStorage

/// What the shared suite does not show about the Azure driver, on the azure-blob-fake:
/// another driver instance (a replica) continues a writer from Get Block List alone, a
/// blob written whole is resumed by server-side copy, uploads go out in blocks of
/// `chunksize`, and failures map to the right storage errors.
@Suite(.enabled(if: AzureBlobFake.endpoint != nil)) struct AzureDriverTests {
    /// A second driver on the same container: what another replica sees.
    func replica(of driver: AzureDriver) throws -> AzureDriver {
        var p = ["accountname": AzureBlobFake.account, "accountkey": AzureBlobFake.key, "container": driver.configuration.container,
                 "serviceurl": AzureBlobFake.endpoint ?? "", "chunksize": String(driver.configuration.chunkSize)]
        p["rootdirectory"] = driver.configuration.rootDirectory
        return try AzureDriver(configuration: AzureConfiguration(parameters: p))
    }

    func committedBlocks(_ driver: AzureDriver, _ path: String) async throws -> [String] {
        let r = try await driver.client.send("GET", blob: driver.blobName(path), query: [("comp", "blocklist"), ("blocklisttype", "committed")])
        return S3XML.all("Name", in: String(decoding: r.body, as: UTF8.self))
    }

    @Test func aReplicaContinuesTheWriterFromTheBlockList() async throws {
        let a = try await AzureBlobFake.freshDriver(rootDirectory: "r", chunkSize: 64 * 1024)
        let b = try replica(of: a)
        let first = Data((0..<150_000).map { UInt8($0 % 251) })
        let second = Data((0..<70_000).map { UInt8($0 % 13) })
        let w1 = try await a.writer("/up/data", append: false)
        try await w1.write(first)
        try await w1.close()
        // 150,000 bytes in blocks of 64 KiB: two whole blocks and the rest at close
        #expect(try await committedBlocks(a, "/up/data") == (0..<3).map(AzureWriter.blockID))
        let w2 = try await b.writer("/up/data", append: true)
        #expect(w2.size == Int64(first.count))
        try await w2.write(second)
        try await w2.commit()
        #expect(try await a.getContent("/up/data") == first + second)
        #expect(try await committedBlocks(a, "/up/data") == (0..<5).map(AzureWriter.blockID))
    }

    @Test func aBlobWrittenWholeResumesByServerSideCopy() async throws {
        let d = try await AzureBlobFake.freshDriver()
        try await d.putContent("/whole", Data("hello ".utf8))
        let w = try await d.writer("/whole", append: true)
        #expect(w.size == 6)
        try await w.write(Data("world".utf8))
        try await w.commit()
        #expect(String(decoding: try await d.getContent("/whole"), as: UTF8.self) == "hello world")
    }

    @Test func resumingNothingIsPathNotFoundAndCancelDeletes() async throws {
        let d = try await AzureBlobFake.freshDriver()
        await #expect(throws: StorageError.pathNotFound("/none")) { _ = try await d.writer("/none", append: true) }
        let w = try await d.writer("/gone", append: false)
        try await w.write(Data(repeating: 1, count: 10))
        try await w.close()
        let again = try await d.writer("/gone", append: true)
        try await again.cancel()
        await #expect(throws: StorageError.pathNotFound("/gone")) { _ = try await d.stat("/gone") }
    }

    @Test func wrongKeyAndMissingContainerAreUnavailableWithoutTheKey() async throws {
        let d = try await AzureBlobFake.freshDriver()
        let wrongKey = Data("not the account key".utf8).base64EncodedString()
        let bad = try AzureDriver(configuration: AzureConfiguration(parameters: [
            "accountname": AzureBlobFake.account, "accountkey": wrongKey, "container": d.configuration.container,
            "serviceurl": AzureBlobFake.endpoint ?? ""]))
        do {
            _ = try await bad.getContent("/x")
            Issue.record("a wrong key was accepted")
        } catch let StorageError.unavailable(_, message) {
            #expect(message.contains("AuthenticationFailed") && !message.contains(wrongKey))
        }
        let missing = try AzureDriver(configuration: AzureConfiguration(parameters: [
            "accountname": AzureBlobFake.account, "accountkey": AzureBlobFake.key, "container": "no-such-container",
            "serviceurl": AzureBlobFake.endpoint ?? ""]))
        await #expect { try await missing.putContent("/x", Data()) } throws: { error in
            guard case StorageError.unavailable(_, let m) = error else { return false }
            return m.contains("ContainerNotFound")
        }
    }

    @Test func deadEndpointIsUnavailable() async throws {
        let dead = try AzureDriver(configuration: AzureConfiguration(parameters: [
            "accountname": "a", "accountkey": AzureBlobFake.key, "container": "c", "serviceurl": "http://127.0.0.1:1/a"]),
            timeout: 2, maxAttempts: 1)
        await #expect { _ = try await dead.stat("/x") } throws: { error in
            if case StorageError.unavailable = error { return true }
            return false
        }
    }

    @Test func configurationPicksTheEndpoint() throws {
        let base = ["accountname": "acct", "accountkey": AzureBlobFake.key, "container": "c"]
        let pub = try AzureConfiguration(parameters: base)
        #expect(pub.scheme == "https" && pub.endpointHost == "acct.blob.core.windows.net" && pub.basePath == "")
        let gov = try AzureConfiguration(parameters: base.merging(["cloudname": "AzureUSGovernmentCloud"]) { $1 })
        #expect(gov.endpointHost == "acct.blob.core.usgovcloudapi.net")
        let realm = try AzureConfiguration(parameters: base.merging(["realm": "core.chinacloudapi.cn"]) { $1 })
        #expect(realm.endpointHost == "acct.blob.core.chinacloudapi.cn")
        let emu = try AzureConfiguration(parameters: base.merging(["serviceurl": "http://127.0.0.1:10000/acct/"]) { $1 })
        #expect(emu.scheme == "http" && emu.endpointHost == "127.0.0.1:10000" && emu.basePath == "/acct")
        #expect(throws: StorageError.self) { try AzureConfiguration(parameters: base.merging(["cloudname": "Mars"]) { $1 }) }
        #expect(throws: StorageError.self) { try AzureConfiguration(parameters: ["accountname": "a", "container": "c"], environment: [:]) }
    }

    @Test func credentialsTypeChoosesTheTokenSource() throws {
        let base = ["accountname": "acct", "container": "c"]
        let secret = try AzureConfiguration(parameters: base.merging([
            "credentials.type": "client_secret", "credentials.clientid": "app", "credentials.tenantid": "t", "credentials.secret": "s"]) { $1 },
            environment: [:])
        #expect(secret.credentials == .clientSecret(tenantID: "t", clientID: "app", secret: "s", authorityHost: "https://login.microsoftonline.com"))
        #expect(secret.accountKey == nil)
        #expect(throws: StorageError.unsupported("storage.azure.credentials: client_secret needs credentials.tenantid, credentials.secret")) {
            try AzureConfiguration(parameters: base.merging(["credentials.type": "client_secret", "credentials.clientid": "app"]) { $1 },
                                   environment: [:])
        }
        let defaults = base.merging(["credentials.type": "default_credentials"]) { $1 }
        let env = ["AZURE_CLIENT_ID": "app", "AZURE_TENANT_ID": "t", "AZURE_CLIENT_SECRET": "s", "AZURE_AUTHORITY_HOST": "https://login.example"]
        #expect(try AzureConfiguration(parameters: defaults, environment: env).credentials
                == .clientSecret(tenantID: "t", clientID: "app", secret: "s", authorityHost: "https://login.example"))
        #expect(try AzureConfiguration(parameters: defaults, environment: ["IDENTITY_ENDPOINT": "http://127.0.0.1:9/msi", "IDENTITY_HEADER": "h"])
                .credentials == .managedIdentity(endpoint: "http://127.0.0.1:9/msi", header: "h", clientID: nil))
        #expect(try AzureConfiguration(parameters: defaults, environment: ["AZURE_CLIENT_ID": "uami"]).credentials
                == .managedIdentity(endpoint: AzureCredentials.imdsEndpoint, header: nil, clientID: "uami"))
    }

    @Test func aWriteBeyondTheBlockLimitIsRefusedAndKeepsWhatIsStored() async throws {
        let d = try await AzureBlobFake.freshDriver(chunkSize: 64 * 1024)
        d.maxBlocks = 3
        let first = Data(repeating: 7, count: 2 * 64 * 1024)
        let w = try await d.writer("/big", append: false)
        try await w.write(first)
        try await w.close()
        let more = try await d.writer("/big", append: true)
        await #expect { try await more.write(Data(repeating: 8, count: 2 * 64 * 1024)); try await more.commit() } throws: { error in
            guard case StorageError.unsupported(let m) = error else { return false }
            return m.contains("more than 3 blocks") && m.contains("raise storage.azure.chunksize")
        }
        #expect(try await d.getContent("/big") == first)
    }
}
