import Foundation
import Testing
@testable import WharfStorage

/// The shared driver suite, part 3: whole-tree work (``StorageDriver/walkFiles(_:_:)``,
/// ``StorageDriver/deleteListed(_:)``), through the driver's ``FileListing`` and
/// ``BatchDeletion`` where it has them and through the core where it has not: both must
/// give the same answers.
@Suite("Driver conformance: bulk")
struct DriverBulkConformanceTests {
    @Test(arguments: DriverUnderTest.all)
    func walkFilesListsTheFilesOfTheWalk(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            try await DriverTreeConformanceTests.makeWalkTree(d)
            var walked: [FileInfo] = []
            try await d.walk("/w") { info in
                if !info.isDirectory { walked.append(info) }
                return .continue
            }
            var listed: [FileInfo] = []
            try await d.walkFiles("/w") { listed.append($0) }
            #expect(listed.map(\.path).sorted() == ["/w/a/1", "/w/a/2", "/w/b", "/w/c-x", "/w/c/d/e"])
            #expect(listed.allSatisfy { !$0.isDirectory })
            for info in listed {
                let same = try #require(walked.first { $0.path == info.path })
                #expect(info.size == same.size && info.size == Int64(info.path.utf8.count))
                #expect(abs(info.modTime.timeIntervalSince(same.modTime)) < 2)
            }

            var everything: [String] = []
            try await d.walkFiles("/") { everything.append($0.path) }
            #expect(everything.sorted() == DriverTreeConformanceTests.walkTree.sorted())
            await #expect(throws: StorageError.pathNotFound("/missing")) { try await d.walkFiles("/missing") { _ in } }
        }
    }

    @Test(arguments: DriverUnderTest.all)
    func deleteListedRemovesTheTreesAndToleratesMissingOnes(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            for p in ["/b/x1/data", "/b/x2/data", "/b/x3/data", "/b/x10/data"] { try await d.putContent(p, Data(p.utf8)) }
            try await d.deleteListed([ListedDirectory(path: "/b/x1", files: ["/b/x1/data"]),
                                      ListedDirectory(path: "/b/x3", files: ["/b/x3/data"]),
                                      ListedDirectory(path: "/b/gone", files: ["/b/gone/data"])])
            #expect(try await d.list("/b") == ["/b/x10", "/b/x2"])
            await #expect(throws: StorageError.pathNotFound("/b/x1")) { try await d.stat("/b/x1") }
            try await d.deleteListed([])
            try await d.deleteListed([ListedDirectory(path: "/b/x1", files: ["/b/x1/data"])])
            #expect(try await d.getContent("/b/x10/data") == Data("/b/x10/data".utf8))
        }
    }

    @Test func objectStoresListAndDeleteInBulkAndTheWrapperForwardsIt() async throws {
        let s3 = try S3Driver(configuration: S3Configuration(parameters: ["bucket": "b", "region": "us-east-1", "accesskey": "a", "secretkey": "s"]))
        #expect(s3.capabilities.fileListing != nil && s3.capabilities.batchDeletion != nil)
        let azure = try AzureDriver(configuration: AzureConfiguration(parameters: ["accountname": "a", "accountkey": "YWJj", "container": "c"]))
        #expect(azure.capabilities.fileListing != nil && azure.capabilities.batchDeletion == nil)
        let gcs = try GCSDriver(configuration: GCSConfiguration(parameters: ["bucket": "b"], environment: [:]))
        #expect(gcs.capabilities.fileListing != nil && gcs.capabilities.batchDeletion != nil)
        let wrapped = InstrumentedDriver(s3).capabilities
        #expect(wrapped.fileListing != nil && wrapped.batchDeletion != nil)
        let memory = InstrumentedDriver(InMemoryDriver()).capabilities
        #expect(memory.fileListing == nil && memory.batchDeletion == nil)
    }

    @Test func aSegmentedFileIsOneFileInTheFlatListing() {
        var files = FlatListingFiles()
        let admitted = ["r/u/data", "r/u/data-x", "r/u/data/seg-1", "r/u/data-y", "r/u/datum/seg"].map { files.admit($0) }
        #expect(admitted == [true, true, false, true, true])
        #expect(!FlatListingFiles.isBelow("r/u/data", anyOf: []))
    }
}
