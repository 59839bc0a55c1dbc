#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import WharfSystem
@testable import WharfStorage
import WharfTestSupport

/// What only the filesystem driver promises: its root, its temporary files, staying inside
/// the root, local files for sendfile, and errno mapping.
@Suite("FilesystemDriver")
struct FilesystemDriverTests {
    /// A driver on `<scratch>/root`, with `<scratch>/sibling/secret` next to it.
    func withDriver(readChunkSize: Int = 1 << 20, _ body: (FilesystemDriver, URL) async throws -> Void) async throws {
        let scratch = try Scratch.make()
        defer { Scratch.remove(scratch) }
        let sibling = scratch.appendingPathComponent("sibling")
        try FileManager.default.createDirectory(at: sibling, withIntermediateDirectories: true)
        try Data("secret".utf8).write(to: sibling.appendingPathComponent("secret"))
        let driver = try FilesystemDriver(root: scratch.appendingPathComponent("root").path, readChunkSize: readChunkSize)
        try await body(driver, scratch)
    }

    func hostNames(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
    }

    @Test func rootIsCreatedWithParentsAndMadeAbsolute() async throws {
        let scratch = try Scratch.make()
        defer { Scratch.remove(scratch) }
        let root = scratch.appendingPathComponent("a/b/c").path
        let driver = try FilesystemDriver(root: root + "/")
        #expect(driver.root == root)
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) && isDirectory.boolValue)

        let relative = try FilesystemDriver(root: scratch.path + "/./rel")
        #expect(relative.root.hasPrefix("/"))
    }

    @Test func rootThatIsAFileIsAClearError() async throws {
        let scratch = try Scratch.make()
        defer { Scratch.remove(scratch) }
        let file = scratch.appendingPathComponent("file")
        try Data("x".utf8).write(to: file)
        for root in [file.path, file.path + "/below"] {
            do {
                _ = try FilesystemDriver(root: root)
                Issue.record("expected an error for root \(root)")
            } catch let StorageError.unknown(driver, message) {
                #expect(driver == "filesystem")
                #expect(message.contains(root))
            }
        }
    }

    @Test func pathsMapUnderTheRoot() async throws {
        try await withDriver { d, scratch in
            try await d.putContent("/docker/registry/v2/x", Data("x".utf8))
            let host = scratch.appendingPathComponent("root/docker/registry/v2/x").path
            #expect(FileManager.default.contents(atPath: host) == Data("x".utf8))
        }
    }

    @Test func temporaryFilesNeverCollideAndAreNeverListed() async throws {
        try await withDriver { d, scratch in
            let rootDir = scratch.appendingPathComponent("root").path
            // A crash leftover, and a name no driver path can address.
            try Data("partial".utf8).write(to: URL(fileURLWithPath: rootDir + "/" + POSIXFileSystem.temporaryPrefix + "dead"))
            try FileManager.default.createDirectory(atPath: rootDir + "/lost+found", withIntermediateDirectories: true)
            #expect(!StoragePath.isValid("/" + POSIXFileSystem.temporaryPrefix + "abc"))

            // Writers replace /dir/f while list and walk run: neither ever sees a temporary file.
            try await d.putContent("/dir/f", Data())
            let leaks = try await withThrowingTaskGroup(of: [String].self) { group -> [String] in
                group.addTask {
                    for i in 0..<40 { try await d.putContent("/dir/f", Data(repeating: UInt8(i), count: 4096)) }
                    return []
                }
                group.addTask {
                    var seen: [String] = []
                    for _ in 0..<80 {
                        seen += try await d.list("/dir")
                        try await d.walk("/") { seen.append($0.path); return .continue }
                    }
                    return seen.filter { $0 != "/dir" && $0 != "/dir/f" }
                }
                return try await group.reduce([], +)
            }
            #expect(leaks == [])
            #expect(try await d.list("/") == ["/dir"])
            #expect(try hostNames(rootDir + "/dir") == ["f"]) // no temporary file left behind
        }
    }

    @Test func nothingOutsideTheRootIsReachable() async throws {
        try await withDriver { d, scratch in
            let secret = scratch.appendingPathComponent("sibling/secret").path
            for escape in ["/../sibling/secret", "/a/../../sibling/secret", "/..", "/%2e%2e/sibling"] {
                await #expect(throws: StorageError.invalidPath(escape)) { try await d.getContent(escape) }
                await #expect(throws: StorageError.invalidPath(escape)) { try await d.delete(escape) }
                await #expect(throws: StorageError.invalidPath(escape)) { try await d.putContent(escape, Data("pwned".utf8)) }
            }

            // Links planted inside the root (not something a client can create) are never followed
            // at the last component: reads miss, writes replace the link, deletes remove the link.
            let rootDir = scratch.appendingPathComponent("root").path
            try FileManager.default.createSymbolicLink(atPath: rootDir + "/file-link", withDestinationPath: secret)
            try FileManager.default.createSymbolicLink(atPath: rootDir + "/dir-link", withDestinationPath: scratch.appendingPathComponent("sibling").path)

            await #expect(throws: StorageError.pathNotFound("/file-link")) { try await d.getContent("/file-link") }
            await #expect(throws: StorageError.pathNotFound("/file-link")) { try await d.reader("/file-link", offset: 0) }
            await #expect(throws: StorageError.pathNotFound("/file-link")) { try await d.stat("/file-link") }
            #expect(throws: StorageError.pathNotFound("/file-link")) { try d.openLocalFile("/file-link") }
            await #expect(throws: StorageError.self) { try await d.writer("/file-link", append: true) }
            var walked: [String] = []
            try await d.walk("/") { walked.append($0.path); return .continue }
            #expect(walked == [])

            try await d.delete("/dir-link")
            try await d.putContent("/file-link", Data("replaced".utf8))
            #expect(try await d.getContent("/file-link") == Data("replaced".utf8))
            #expect(FileManager.default.contents(atPath: secret) == Data("secret".utf8))
            #expect(try hostNames(scratch.appendingPathComponent("sibling").path) == ["secret"])
        }
    }

    @Test func openLocalFileGivesAReadableDescriptor() async throws {
        try await withDriver { d, _ in
            let content = testBytes(100_000, seed: 9)
            try await d.putContent("/blobs/data", content)
            guard let (fd, size) = try d.openLocalFile("/blobs/data") else {
                Issue.record("filesystem driver must have local files")
                return
            }
            defer { close(fd) }
            #expect(size == Int64(content.count))
            var buffer = [UInt8](repeating: 0, count: content.count + 10)
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            #expect(n == content.count)
            #expect(Data(buffer[0..<max(0, n)]) == content)
            #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)

            #expect(throws: StorageError.pathNotFound("/blobs/missing")) { try d.openLocalFile("/blobs/missing") }
            #expect(throws: StorageError.pathNotFound("/blobs")) { try d.openLocalFile("/blobs") }
            #expect(throws: StorageError.invalidPath("/blobs/../x")) { try d.openLocalFile("/blobs/../x") }
        }
    }

    @Test func readChunkSizeIsConfigurable() async throws {
        try await withDriver(readChunkSize: 1000) { d, _ in
            let content = testBytes(4500)
            try await d.putContent("/f", content)
            var sizes: [Int] = []
            let r = try await d.reader("/f", offset: 0)
            while let chunk = try await r.next() { sizes.append(chunk.count) }
            #expect(sizes == [1000, 1000, 1000, 1000, 500])
        }
    }

    @Test func directoriesAndFilesDoNotStandInForEachOther() async throws {
        try await withDriver { d, _ in
            try await d.putContent("/dir/file", Data("x".utf8))
            await #expect(throws: StorageError.invalidPath("/dir")) { try await d.putContent("/dir", Data("y".utf8)) }
            await #expect(throws: StorageError.invalidPath("/dir")) { try await d.writer("/dir", append: false) }
            await #expect(throws: StorageError.invalidPath("/dir/file/child")) { try await d.putContent("/dir/file/child", Data()) }
            await #expect(throws: StorageError.pathNotFound("/dir")) { try await d.getContent("/dir") }
            await #expect(throws: StorageError.pathNotFound("/dir/file/child")) { try await d.getContent("/dir/file/child") }
            #expect(try await d.getContent("/dir/file") == Data("x".utf8))
        }
    }

    @Test func writerBytesAreOnDiskBeforeClose() async throws {
        try await withDriver { d, scratch in
            let w = try await d.writer("/uploads/u/data", append: false)
            let host = scratch.appendingPathComponent("root/uploads/u/data").path
            try await w.write(testBytes(3000))
            #expect(w.size == 3000)
            // Writes are one chunk behind: once the next write returns, the first is on disk.
            try await w.write(testBytes(1000))
            #expect((FileManager.default.contents(atPath: host)?.count ?? 0) >= 3000) // another replica can resume
            try await w.close()
            #expect(FileManager.default.contents(atPath: host)?.count == 4000)
        }
    }

    @Test func writerReportsAFailedWriteOnTheNextCall() async throws {
        try await withDriver { d, scratch in
            try await d.putContent("/f", Data())
            let host = scratch.appendingPathComponent("root/f").path
            // A read-only descriptor makes write() fail (EBADF), as a full disk would (ENOSPC).
            let fd = open(host, O_RDONLY)
            #expect(fd >= 0)
            let w = FilesystemWriter(fd: fd, size: 0, hostPath: host, path: "/f", io: BlockingIOQueue(maxThreads: 2))
            try await w.write(testBytes(10)) // handed to the I/O thread; fails there
            await #expect(throws: StorageError.self) { try await w.close() }
            #expect(w.size == 0)
        }
    }

    @Test func overlongNamesAreInvalidPaths() async throws {
        try await withDriver { d, _ in
            let long = "/" + String(repeating: "a", count: 300)
            await #expect(throws: StorageError.invalidPath(long)) { try await d.putContent(long, Data()) }
            await #expect(throws: StorageError.invalidPath(long)) { try await d.getContent(long) }
        }
    }

    @Test func redirectURLIsNil() async throws {
        try await withDriver { d, _ in
            try await d.putContent("/f", Data())
            #expect(try await d.redirectURL("/f", method: "GET") == nil)
        }
    }

    @Test func errnoMapping() {
        #expect(POSIXFileSystem.error(ENOENT, path: "/p", operation: "open") == .pathNotFound("/p"))
        #expect(POSIXFileSystem.error(ENOSPC, path: "/p", operation: "write") == .outOfSpace)
        #expect(POSIXFileSystem.error(EROFS, path: "/p", operation: "write") == .readOnlyFilesystem)
        #expect(POSIXFileSystem.error(EFBIG, path: "/p", operation: "write") == .fileTooLarge("/p"))
        #expect(POSIXFileSystem.error(ENOTDIR, path: "/p", operation: "open") == .pathNotFound("/p"))
        guard case let .unknown(driver, message) = POSIXFileSystem.error(EACCES, path: "/p", operation: "open") else {
            Issue.record("EACCES must map to unknown")
            return
        }
        #expect(driver == "filesystem")
        #expect(message.contains("Permission denied") && message.contains("/p") && message.contains("open"))
    }

    @Test(.enabled(if: geteuid() != 0, "runs as root, which ignores directory permissions"))
    func permissionDeniedIsReportedWithTheSystemsWords() async throws {
        try await withDriver { d, scratch in
            try await d.putContent("/ro/f", Data("x".utf8))
            let dir = scratch.appendingPathComponent("root/ro").path
            chmod(dir, 0o555)
            defer { chmod(dir, 0o755) }
            do {
                try await d.putContent("/ro/g", Data("y".utf8))
                Issue.record("writing into a read-only directory must fail")
            } catch let StorageError.unknown(_, message) {
                #expect(message.contains("Permission denied"))
            }
        }
    }

    /// The hop to the I/O queue and back must stay small next to a syscall; printed, not
    /// asserted (tests never assert timings; see bench/).
    @Test func blockingQueueOverhead() async throws {
        try await withDriver { d, _ in
            try await d.putContent("/small", Data("tiny".utf8))
            let rounds = 2000
            let clock = ContinuousClock()
            var hopResults = 0
            let hop = try await clock.measure {
                for i in 0..<rounds { hopResults += try await BlockingIOQueue.shared.run { i } == i ? 1 : 0 }
            }
            var bytes = 0
            let reads = try await clock.measure {
                for _ in 0..<rounds { bytes += try await d.getContent("/small").count }
            }
            #expect(hopResults == rounds && bytes == 4 * rounds)
            print("BlockingIOQueue hop: \(hop / rounds) per call; getContent of 4 bytes: \(reads / rounds) per call")
        }
    }

    /// Blocking jobs run side by side up to `maxThreads`, however few cores there are: 12 jobs
    /// that each wait for all 12 to have started finish only if 12 threads serve them.
    @Test func blockingQueueRunsBlockedJobsSideBySide() async throws {
        let io = BlockingIOQueue(maxThreads: 12, idleTimeout: 1)
        let arrived = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let jobs = 12
        let everyoneArrived = try await withThrowingTaskGroup(of: Bool.self) { group -> Bool in
            for _ in 0..<jobs {
                group.addTask {
                    try await io.run {
                        arrived.signal()
                        return release.wait(timeout: .now() + 20) == .success
                    }
                }
            }
            // Wait off the cooperative pool, which the test runner shares.
            let all = await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
                DispatchQueue.global().async {
                    var all = true
                    for _ in 0..<jobs { all = all && arrived.wait(timeout: .now() + 20) == .success }
                    for _ in 0..<jobs { release.signal() }
                    done.resume(returning: all)
                }
            }
            return try await group.reduce(all) { $0 && $1 }
        }
        #expect(everyoneArrived)
        #expect(io.threadCount <= 12)
    }

    @Test func blockingQueueNeverExceedsMaxThreads() async throws {
        let io = BlockingIOQueue(maxThreads: 2, idleTimeout: 1)
        let counter = NSLock()
        nonisolated(unsafe) var running = 0
        nonisolated(unsafe) var peak = 0
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    try await io.run {
                        counter.withLock { running += 1; peak = max(peak, running) }
                        usleep(2000)
                        counter.withLock { running -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(peak >= 1 && peak <= 2)
        #expect(io.threadCount <= 2)
    }

    @Test func blockingQueuePropagatesErrors() async throws {
        await #expect(throws: StorageError.outOfSpace) {
            try await BlockingIOQueue.shared.run { () throws -> Int in throw StorageError.outOfSpace }
        }
    }
}
