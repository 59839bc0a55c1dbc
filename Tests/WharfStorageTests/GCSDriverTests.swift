import Foundation
import Testing
@testable import WharfStorage
import WharfTestSupport

/// What the shared suite does not show about the GCS driver: its parameters, resuming a
/// writer from another process (replica) on the same bucket with pending parts hidden,
/// and an unreachable endpoint as `unavailable` (503).
@Suite("GCS driver")
struct GCSDriverTests {
    @Test func chunkSizeIsAMultipleOf256KiB() throws {
        #expect(try GCSConfiguration(parameters: ["bucket": "b"], environment: [:]).chunkSize == 5 << 20)
        #expect(try GCSConfiguration(parameters: ["bucket": "b", "chunksize": "524288"], environment: [:]).chunkSize == 512 << 10)
        #expect(throws: StorageError.unsupported("storage.gcs.chunksize: expected a multiple of 262144 (256 KiB), got \"300000\"")) {
            try GCSConfiguration(parameters: ["bucket": "b", "chunksize": "300000"], environment: [:])
        }
        #expect(throws: StorageError.unsupported("storage.gcs.bucket is required")) {
            try GCSConfiguration(parameters: [:], environment: [:])
        }
    }

    @Test func keyFileIsAPathOrTheJSONAndIsSecret() throws {
        let json = #"{"type":"service_account","client_email":"x@y"}"#
        let inline = try GCSConfiguration(parameters: ["bucket": "b", "keyfile": json], environment: [:])
        #expect(inline.keyJSON == Data(json.utf8) && inline.keySource == "REGISTRY_STORAGE_GCS_KEYFILE")
        let scratch = try Scratch.make()
        defer { Scratch.remove(scratch) }
        let file = scratch.appendingPathComponent("key.json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: file))
        let fromFile = try GCSConfiguration(parameters: ["bucket": "b", "keyfile": file], environment: [:])
        #expect(fromFile.keyJSON == Data(json.utf8) && fromFile.keySource == file)
        let fromEnv = try GCSConfiguration(parameters: ["bucket": "b"], environment: ["GOOGLE_APPLICATION_CREDENTIALS": file])
        #expect(fromEnv.keySource == file)
        #expect(throws: StorageError.unsupported("storage.gcs.keyfile: cannot read the key file /no/such/key.json")) {
            try GCSConfiguration(parameters: ["bucket": "b", "keyfile": "/no/such/key.json"], environment: [:])
        }
        let registration = GCSDriver.registration
        #expect(registration.parameter("keyfile")?.isSecret == true)
        #expect(registration.parameter("credentials")?.isSecret == true)
        #expect(registration.parameter("keyfile")?.environmentVariable(driver: "gcs") == "REGISTRY_STORAGE_GCS_KEYFILE")
    }

    @Test func withoutAKeyTokensComeFromTheMetadataServerUnlessAnEndpointIsSet() throws {
        #expect(try GCSConfiguration(parameters: ["bucket": "b"], environment: [:]).metadataHost == "metadata.google.internal")
        let emulator = ["bucket": "b", "endpoint": "http://127.0.0.1:9"]
        #expect(try GCSConfiguration(parameters: emulator, environment: [:]).metadataHost == nil)
        #expect(try GCSConfiguration(parameters: emulator, environment: ["GCE_METADATA_HOST": "127.0.0.1:8"]).metadataHost == "127.0.0.1:8")
        let keyed = try GCSConfiguration(parameters: ["bucket": "b", "credentials": "{}"], environment: ["GCE_METADATA_HOST": "127.0.0.1:8"])
        #expect(keyed.metadataHost == nil)
    }

    @Test(.enabled(if: GCSEmulator.endpoint != nil))
    func aWriterResumesOnAnotherReplicaAndPendingPartsStayHidden() async throws {
        let a = try await GCSEmulator.freshDriver(rootDirectory: "r")
        let b = try GCSDriver(configuration: a.configuration)  // another process on the same bucket
        let path = "/repositories/app/_uploads/u1/data"
        let first = testBytes(300 << 10, seed: 1), second = testBytes(600 << 10, seed: 2), third = testBytes(10, seed: 3)
        let w1 = try await a.writer(path, append: false)
        try await w1.write(first)
        try await w1.close()
        let w2 = try await b.writer(path, append: true)
        #expect(w2.size == Int64(first.count))
        try await w2.write(second)
        try await w2.close()
        // A pending part a crashed replica left behind is in no listing, and goes with the file.
        try await a.upload(name: a.key(path) + GCSWriter.pendingSeparator + "append-crashed", Data("x".utf8))
        #expect(try await a.list("/repositories/app/_uploads/u1") == [path])
        let w3 = try await a.writer(path, append: true)
        try await w3.write(third)
        try await w3.commit()
        #expect(try await b.getContent(path) == first + second + third)
        #expect(try await b.stat(path).size == Int64(first.count + second.count + third.count))
        try await a.delete("/repositories/app/_uploads/u1")
        await #expect(throws: StorageError.pathNotFound("/repositories/app")) { try await b.list("/repositories/app") }
        #expect(try await a.listPage(prefix: "", delimiter: nil, token: nil, maxResults: 100).items.isEmpty)
    }

    @Test func anUnreachableEndpointIsUnavailable() async throws {
        let configuration = try GCSConfiguration(parameters: ["bucket": "b", "endpoint": "http://127.0.0.1:9"], environment: [:])
        let driver = try GCSDriver(configuration: configuration, timeout: 2, maxAttempts: 2)
        await #expect {
            try await driver.stat("/x")
        } throws: { error in
            if case .unavailable(driver: "gcs", _) = error as? StorageError { return true }
            return false
        }
    }
}
