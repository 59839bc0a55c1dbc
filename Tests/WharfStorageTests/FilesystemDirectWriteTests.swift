#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import WharfStorage
import WharfTestSupport

/// `storage.filesystem.directwrites`: uploads past their first MiB go to the disk with
/// `O_DIRECT` through aligned buffers (``DirectWriteStaging``). Every byte must land where
/// a buffered writer would have put it, whatever the chunk sizes, across closes and
/// resumes, and the bulk must really bypass the page cache.
@Suite("Filesystem direct writes")
struct FilesystemDirectWriteTests {
    let path = "/docker/registry/v2/repositories/app/_uploads/u1/data"

    func withDriver(directWrites: Bool, _ body: (FilesystemDriver, String) async throws -> Void) async throws {
        try await Scratch.withFilesystemDriver(directWrites: directWrites) { driver, _ in
            try await body(driver, driver.hostPath(path))
        }
    }

    /// Writes `sizes` as chunks of `content` from `offset`, checking `size` after each.
    func write(_ writer: StorageWriter, _ content: Data, from offset: inout Int, sizes: [Int]) async throws {
        for n in sizes {
            try await writer.write(content.subdata(in: offset..<(offset + n)))
            offset += n
            #expect(writer.size == Int64(offset))
        }
    }

    @Test func oddChunksClosesAndResumesKeepEveryByte() async throws {
        try await withDriver(directWrites: true) { driver, host in
            let content = testBytes(10_000_000, seed: 7)
            var offset = 0
            // Past 1 MiB the writer switches; chunk ends fall anywhere in a block.
            var w = try await driver.writer(path, append: false)
            try await write(w, content, from: &offset, sizes: [1000, 700_001, 1_500_000, 4097, 3, 2_000_000])
            try await w.close()
            #expect(try await driver.stat(path).size == Int64(offset))

            // Resumed at an unaligned size: the last partial block is read back and rewritten.
            w = try await driver.writer(path, append: true)
            #expect(w.size == Int64(offset))
            try await write(w, content, from: &offset, sizes: [999_999, 1_048_576, 17])
            try await w.close()

            // A resume that stays under one buffer, then a commit.
            w = try await driver.writer(path, append: true)
            try await write(w, content, from: &offset, sizes: [5, 2_000_000, 1_000_000])
            try await w.commit()
            #expect(driver.directWrites, "the test filesystem refused O_DIRECT")

            let stored = try Data(contentsOf: URL(fileURLWithPath: host))
            #expect(stored.count == offset)
            #expect(stored == content.prefix(offset))
            #expect(try await driver.getContent(path) == content.prefix(offset))
        }
    }

    @Test func smallUploadsStayBuffered() async throws {
        try await withDriver(directWrites: true) { driver, host in
            let content = testBytes(300_000, seed: 3)
            let w = try await driver.writer(path, append: false)
            var offset = 0
            try await write(w, content, from: &offset, sizes: [100_000, 200_000])
            try await w.commit()
            #expect(try Data(contentsOf: URL(fileURLWithPath: host)) == content)
            #expect(try residentFraction(host) > 0.9, "a small upload should stay in the page cache")
        }
    }

    @Test func theBulkBypassesThePageCache() async throws {
        try await withDriver(directWrites: true) { driver, host in
            guard !isTmpfs(host) else { return }   // tmpfs is the page cache
            let content = testBytes(8 << 20, seed: 9)
            let w = try await driver.writer(path, append: false)
            var offset = 0
            try await write(w, content, from: &offset, sizes: Array(repeating: 512 * 1024 + 3, count: 15) + [8_388_608 - 15 * (512 * 1024 + 3)])
            try await w.commit()
            // Only the first MiB (before the switch) and the tail were written buffered.
            // (Measured before reading the file back, which fills the cache.)
            let resident = try residentFraction(host)
            #expect(resident < 0.5, "resident fraction \(resident): the writes went through the page cache")
            #expect(try Data(contentsOf: URL(fileURLWithPath: host)) == content)
        }
    }

    @Test func offWritesThroughThePageCache() async throws {
        try await withDriver(directWrites: false) { driver, host in
            let content = testBytes(4 << 20, seed: 5)
            let w = try await driver.writer(path, append: false)
            var offset = 0
            try await write(w, content, from: &offset, sizes: Array(repeating: 1 << 20, count: 4))
            try await w.commit()
            #expect(!driver.directWrites)
            #expect(try residentFraction(host) > 0.9)
        }
    }

    @Test func cancelDuringStagedWritesDeletesTheFile() async throws {
        try await withDriver(directWrites: true) { driver, host in
            let content = testBytes(3 << 20, seed: 11)
            let w = try await driver.writer(path, append: false)
            var offset = 0
            try await write(w, content, from: &offset, sizes: [1 << 20, 1 << 20, 777])
            try await w.cancel()
            #expect(!FileManager.default.fileExists(atPath: host))
            await #expect(throws: (any Error).self) { try await w.write(Data([1])) }
        }
    }

    // MARK: page-cache probes

    /// The fraction of the file's pages in the page cache (`mincore` of a mapping).
    func residentFraction(_ host: String) throws -> Double {
        let fd = open(host, O_RDONLY)
        guard fd >= 0 else { throw POSIXError(.ENOENT) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size > 0 else { return 0 }
        let length = Int(st.st_size)
        guard let map = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else { throw POSIXError(.ENOMEM) }
        defer { munmap(map, length) }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var vec = [UInt8](repeating: 0, count: (length + page - 1) / page)
        guard mincore(map, length, &vec) == 0 else { throw POSIXError(.EINVAL) }
        return Double(vec.filter { $0 & 1 == 1 }.count) / Double(vec.count)
    }

    /// Whether `host` lies on tmpfs (the mount with the longest matching prefix in /proc/mounts).
    func isTmpfs(_ host: String) -> Bool {
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return false }
        var best = (length: -1, type: "")
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 2 else { continue }
            let point = String(fields[1])
            let matches = point == "/" || host == point || host.hasPrefix(point + "/")
            if matches, point.count > best.length { best = (point.count, String(fields[2])) }
        }
        return best.type == "tmpfs"
    }
}
