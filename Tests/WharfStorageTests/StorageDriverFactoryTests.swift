import Foundation
import Testing
@testable import WharfStorage
import WharfTestSupport

@Suite("StorageDriverFactory")
struct StorageDriverFactoryTests {
    @Test func buildsTheFilesystemDriverAtItsRootDirectory() async throws {
        let scratch = try Scratch.make()
        defer { Scratch.remove(scratch) }
        let root = scratch.appendingPathComponent("registry").path
        let driver = try StorageDriverFactory.make(name: "filesystem", parameters: ["rootdirectory": root, "maxthreads": "30"])
        let fs = try #require(driver as? FilesystemDriver)
        #expect(fs.root == root)
        #expect(fs.name == "filesystem")
        #expect(fs.maxThreads == 30)
        try await fs.putContent("/x", Data("1".utf8))
        #expect(FileManager.default.fileExists(atPath: root + "/x"))
    }

    @Test func buildsTheInMemoryDriver() throws {
        let driver = try StorageDriverFactory.make(name: "InMemory", parameters: [:])
        #expect(driver is InMemoryDriver)
        #expect(StorageDriverFactory.knownNames == ["filesystem", "inmemory", "s3", "gcs", "azure", "swift"])
        #expect(StorageDriverFactory.defaultRootDirectory == "./data")
    }

    @Test func unknownNamesAndBadParametersAreClearErrors() throws {
        do {
            _ = try StorageDriverFactory.make(name: "floppy", parameters: [:])
            Issue.record("unknown driver accepted")
        } catch let StorageError.unsupported(message) {
            #expect(message.contains("floppy") && message.contains("filesystem") && message.contains("inmemory"))
        }
        #expect(throws: StorageError.self) { try StorageDriverFactory.make(name: "filesystem", parameters: ["rootdirectory": ""]) }
        #expect(throws: StorageError.self) {
            try StorageDriverFactory.make(name: "filesystem", parameters: ["rootdirectory": "/tmp/x", "maxthreads": "lots"])
        }
        #expect(throws: StorageError.self) {
            try StorageDriverFactory.make(name: "filesystem", parameters: ["rootdirectory": "/tmp/x", "maxthreads": "0"])
        }
    }
}
