import Foundation
import Testing
@testable import WharfStorage
import WharfTestSupport

/// One driver kind the shared suite runs against; ``with(_:)`` builds a fresh, empty
/// driver for one test and cleans up after it.
///
/// Cloud drivers join ``all`` when their emulator is configured, e.g. an S3 entry built
/// only when `WHARF_TEST_S3_ENDPOINT` is set, each test using a fresh key prefix.
struct DriverUnderTest: Sendable, CustomTestStringConvertible {
    let name: String
    /// Builds the driver inside a fresh scratch directory.
    let build: @Sendable (_ scratch: URL) async throws -> StorageDriver

    var testDescription: String { name }

    static let filesystem = DriverUnderTest(name: "filesystem") { scratch in
        try FilesystemDriver(root: scratch.appendingPathComponent("root").path)
    }
    static let inmemory = DriverUnderTest(name: "inmemory") { _ in InMemoryDriver() }
    /// S3 on moto (see ``MotoServer``): a fresh bucket per test, under a root directory.
    static let s3 = DriverUnderTest(name: "s3") { _ in try await MotoServer.freshDriver(rootDirectory: "registry/root") }

    /// GCS on gcp-storage-emulator (see ``GCSEmulator``): a fresh bucket per test, under a root directory.
    static let gcs = DriverUnderTest(name: "gcs") { _ in try await GCSEmulator.freshDriver(rootDirectory: "registry/root") }
    /// Azure Blob on the azure-blob-fake (see ``AzureBlobFake``): a fresh container per test, under a root directory.
    static let azure = DriverUnderTest(name: "azure") { _ in try await AzureBlobFake.freshDriver(rootDirectory: "registry/root") }

    /// Swift on the SAIO (see ``SwiftSAIO``): a fresh container per test, under a root directory.
    static let swift = DriverUnderTest(name: "swift") { _ in try await SwiftSAIO.freshDriver(rootDirectory: "registry/root") }

    static func instrumented(_ kind: DriverUnderTest) -> DriverUnderTest {
        DriverUnderTest(name: "instrumented(\(kind.name))") { scratch in
            InstrumentedDriver(try await kind.build(scratch))
        }
    }

    static let all: [DriverUnderTest] = [filesystem, inmemory, instrumented(filesystem), instrumented(inmemory)]
        + (MotoServer.endpoint != nil ? [s3, instrumented(s3)] : [])
        + (GCSEmulator.endpoint != nil ? [gcs, instrumented(gcs)] : [])
        + (AzureBlobFake.endpoint != nil ? [azure, instrumented(azure)] : [])
        + (SwiftSAIO.authURL != nil ? [swift, instrumented(swift)] : [])

    /// Runs `body` with a fresh driver, then removes its scratch directory.
    func with(_ body: (StorageDriver) async throws -> Void) async throws {
        let scratch = try Scratch.make()
        defer { Scratch.remove(scratch) }
        try await body(try await build(scratch))
    }
}

extension Scratch {
    /// Runs `body` with a filesystem driver on a fresh scratch root (and that root's path),
    /// then removes the scratch directory.
    static func withFilesystemDriver(directWrites: Bool = true,
                                     _ body: (FilesystemDriver, String) async throws -> Void) async throws {
        let scratch = try make()
        defer { remove(scratch) }
        let driver = try FilesystemDriver(root: scratch.appendingPathComponent("root").path, directWrites: directWrites)
        try await body(driver, driver.root)
    }
}

/// Reads everything a reader returns, checking every chunk is non-empty.
func drain(_ reader: StorageReader, maxChunk: Int = 1 << 20) async throws -> Data {
    var out = Data()
    while let chunk = try await reader.next() {
        #expect(!chunk.isEmpty, "a reader must never return an empty chunk")
        #expect(chunk.count <= maxChunk)
        out.append(chunk)
    }
    return out
}
