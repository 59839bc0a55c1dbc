#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import WharfStorage
import WharfTestSupport

/// `FilesystemDriver.fileStamp`: what the registry's link cache revalidates with.
@Suite("FileStamp")
struct FileStampTests {
    @Test func stampIsStableUntilTheFileIsReplacedOrDeleted() async throws {
        let scratch = try Scratch.make()
        defer { Scratch.remove(scratch) }
        let driver = try FilesystemDriver(root: scratch.path)
        let path = "/repositories/app/_manifests/tags/v1/current/link"
        #expect(driver.fileStamp(path) == nil)
        try await driver.putContent(path, Data("sha256:aa".utf8))
        let first = try #require(driver.fileStamp(path))
        #expect(driver.fileStamp(path) == first)
        #expect(first.size == 9)

        // Another process (another driver on the same root) replaces it: new stamp.
        let replica = try FilesystemDriver(root: scratch.path)
        try await replica.putContent(path, Data("sha256:bb".utf8))
        let second = try #require(driver.fileStamp(path))
        #expect(second != first)

        try await replica.delete("/repositories/app/_manifests/tags/v1")
        #expect(driver.fileStamp(path) == nil)
    }

    @Test func directoriesSymlinksAndBadPathsHaveNoStamp() async throws {
        let scratch = try Scratch.make()
        defer { Scratch.remove(scratch) }
        let driver = try FilesystemDriver(root: scratch.path)
        try await driver.putContent("/dir/file", Data("x".utf8))
        #expect(driver.fileStamp("/dir") == nil)
        #expect(symlink(scratch.path + "/dir/file", scratch.path + "/dir/link") == 0)
        #expect(driver.fileStamp("/dir/link") == nil)
        #expect(driver.fileStamp("/dir/../dir/file") == nil)
        #expect(driver.fileStamp("/") == nil)
        #expect(driver.fileStamp("/dir/file") != nil)
        // Wrapped drivers pass it through; drivers without stamps say nil.
        #expect(InstrumentedDriver(driver).fileStamp("/dir/file") == driver.fileStamp("/dir/file"))
        let memory = InMemoryDriver()
        try await memory.putContent("/dir/file", Data("x".utf8))
        #expect(memory.capabilities.fileStamps == nil)
        #expect(InstrumentedDriver(memory).fileStamp("/dir/file") == nil)
    }

    @Test func settledOnlyAfterTheMargin() {
        let stamp = FileStamp(device: 1, inode: 2, size: 3, changeNanoseconds: 10_000_000_000, modificationNanoseconds: 9_000_000_000)
        #expect(!stamp.isSettled(now: 10_500_000_000))
        #expect(stamp.isSettled(now: 11_000_000_000))
    }

    @Test func pathValidationInOnePass() {
        for good in ["/", "/a", "/a/b.c/d-e_f", "/...", "/a/.x", "/x./y"] { #expect(StoragePath.isValid(good), "\(good)") }
        for bad in ["", "a", "//", "/a/", "/a//b", "/.", "/..", "/a/./b", "/a/../b", "/a b", "/é", "/a/b/"] {
            #expect(!StoragePath.isValid(bad), "\(bad)")
        }
    }
}
