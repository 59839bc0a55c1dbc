import Foundation
import Testing
import WharfCrypto
@testable import WharfStorage
import WharfTestSupport

/// The shared driver suite, part 1: content in and out (putContent, getContent, reader,
/// writer) and path validation. Every driver in ``DriverUnderTest/all`` must pass it.
@Suite("Driver conformance: content")
struct DriverContentConformanceTests {
    static let invalidPaths = ["", "relative", "/a/../b", "/a//b", "/a/", "/a b", "/a/.", "/a/..", "//",
                               "/ünïcødé", "/a\u{0}b", "/a\\b", "a/b", "/../outside"]

    @Test(arguments: DriverUnderTest.all)
    func putGetRoundTrip(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            let small = Data("sha256:0123456789abcdef".utf8)
            try await d.putContent("/a/b/link", small)
            #expect(try await d.getContent("/a/b/link") == small)

            try await d.putContent("/empty", Data())
            #expect(try await d.getContent("/empty") == Data())
            #expect(try await d.stat("/empty").size == 0)

            let big = testBytes((1 << 20) + 17)
            try await d.putContent("/big/data", big)
            #expect(try await d.getContent("/big/data") == big)
            #expect(try await d.stat("/big/data").size == Int64(big.count))
        }
    }

    @Test(arguments: DriverUnderTest.all)
    func putOverwrites(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            try await d.putContent("/tag/current/link", Data("first-and-longer".utf8))
            try await d.putContent("/tag/current/link", Data("second".utf8))
            #expect(try await d.getContent("/tag/current/link") == Data("second".utf8))
            #expect(try await d.stat("/tag/current/link").size == 6)
        }
    }

    @Test(arguments: DriverUnderTest.all)
    func putScratchContentStoresLikePutContent(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            try await d.putScratchContent("/uploads/u/startedat", Data("2026-01-01T00:00:00Z".utf8))
            try await d.putScratchContent("/uploads/u/data", Data())
            #expect(try await d.getContent("/uploads/u/startedat") == Data("2026-01-01T00:00:00Z".utf8))
            #expect(try await d.stat("/uploads/u/data").size == 0)
            // An upload's data created this way is resumed by a writer like any other.
            let w = try await d.writer("/uploads/u/data", append: true)
            try await w.write(Data("abc".utf8))
            try await w.close()
            #expect(try await d.getContent("/uploads/u/data") == Data("abc".utf8))
            await #expect(throws: StorageError.invalidPath("/a/../b")) { try await d.putScratchContent("/a/../b", Data()) }
        }
    }

    @Test(arguments: DriverUnderTest.all)
    func getContentOfMissingPathIsPathNotFound(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            await #expect(throws: StorageError.pathNotFound("/nope")) { try await d.getContent("/nope") }
            try await d.putContent("/dir/file", Data("x".utf8))
            await #expect(throws: StorageError.pathNotFound("/dir/other")) { try await d.getContent("/dir/other") }
        }
    }

    @Test(arguments: DriverUnderTest.all)
    func invalidPathsAreRejectedByEveryOperation(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            try await d.putContent("/a/b", Data("keep".utf8))
            for p in Self.invalidPaths {
                let invalid = StorageError.invalidPath(p)
                await #expect(throws: invalid, "getContent \(p)") { try await d.getContent(p) }
                await #expect(throws: invalid, "putContent \(p)") { try await d.putContent(p, Data("x".utf8)) }
                await #expect(throws: invalid, "reader \(p)") { try await d.reader(p, offset: 0) }
                await #expect(throws: invalid, "writer \(p)") { try await d.writer(p, append: false) }
                await #expect(throws: invalid, "writer append \(p)") { try await d.writer(p, append: true) }
                await #expect(throws: invalid, "stat \(p)") { try await d.stat(p) }
                await #expect(throws: invalid, "list \(p)") { try await d.list(p) }
                await #expect(throws: invalid, "move from \(p)") { try await d.move(from: p, to: "/moved") }
                await #expect(throws: invalid, "move to \(p)") { try await d.move(from: "/a/b", to: p) }
                await #expect(throws: invalid, "delete \(p)") { try await d.delete(p) }
                await #expect(throws: invalid, "redirectURL \(p)") { _ = try await d.redirectURL(p, method: "GET") }
                await #expect(throws: invalid, "walk \(p)") { try await d.walk(p) { _ in .continue } }
            }
            // Nothing was created, moved or removed along the way.
            #expect(try await d.list("/") == ["/a"])
            #expect(try await d.getContent("/a/b") == Data("keep".utf8))
        }
    }

    @Test(arguments: DriverUnderTest.all)
    func theRootCannotBeWrittenMovedOrDeleted(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            try await d.putContent("/a", Data("x".utf8))
            await #expect(throws: StorageError.invalidPath("/")) { try await d.putContent("/", Data()) }
            await #expect(throws: StorageError.invalidPath("/")) { try await d.writer("/", append: false) }
            await #expect(throws: StorageError.invalidPath("/")) { try await d.delete("/") }
            await #expect(throws: StorageError.invalidPath("/")) { try await d.move(from: "/", to: "/b") }
            await #expect(throws: StorageError.invalidPath("/")) { try await d.move(from: "/a", to: "/") }
            #expect(try await d.getContent("/a") == Data("x".utf8))
            #expect(try await d.stat("/").isDirectory)
        }
    }

    @Test(arguments: DriverUnderTest.all)
    func readerFromOffsets(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            let content = testBytes(3 * (1 << 20) + 5, seed: 7)
            try await d.putContent("/blob/data", content)
            let size = Int64(content.count)

            #expect(try await drain(d.reader("/blob/data", offset: 0)) == content)
            let middle = Int64(1 << 20) + 12_345
            #expect(try await drain(d.reader("/blob/data", offset: middle)) == content.subdata(in: Int(middle)..<content.count))
            #expect(try await drain(d.reader("/blob/data", offset: size - 1)) == content.subdata(in: content.count - 1..<content.count))

            let atEnd = try await d.reader("/blob/data", offset: size)
            #expect(try await atEnd.next() == nil)
            #expect(try await atEnd.next() == nil)

            await #expect(throws: StorageError.invalidOffset(path: "/blob/data", offset: size + 1)) {
                try await d.reader("/blob/data", offset: size + 1)
            }
            await #expect(throws: StorageError.invalidOffset(path: "/blob/data", offset: -1)) {
                try await d.reader("/blob/data", offset: -1)
            }
            await #expect(throws: StorageError.pathNotFound("/blob/missing")) { try await d.reader("/blob/missing", offset: 0) }

            try await d.putContent("/empty", Data())
            #expect(try await d.reader("/empty", offset: 0).next() == nil)
        }
    }

    @Test(arguments: DriverUnderTest.all)
    func readerCloseEndsReading(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            try await d.putContent("/f", testBytes(3 << 20))
            let r = try await d.reader("/f", offset: 0)
            #expect(try await r.next() != nil)
            r.close()
            #expect(try await r.next() == nil)
            r.close()
        }
    }

    @Test(arguments: DriverUnderTest.all)
    func writerWritesClosesResumesAndCommits(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            let path = "/repositories/app/_uploads/u1/data"
            let w = try await d.writer(path, append: false)
            #expect(w.size == 0)
            try await w.write(Data("hello ".utf8))
            try await w.write(Data())
            try await w.write(Data("world".utf8))
            #expect(w.size == 11)
            try await w.close()
            try await w.close() // closing twice is harmless
            #expect(try await d.getContent(path) == Data("hello world".utf8))

            let resumed = try await d.writer(path, append: true)
            #expect(resumed.size == 11)
            try await resumed.write(Data("!".utf8))
            #expect(resumed.size == 12)
            try await resumed.commit()
            #expect(try await d.getContent(path) == Data("hello world!".utf8))
            #expect(try await d.stat(path).size == 12)
        }
    }

    @Test(arguments: DriverUnderTest.all)
    func writerWithoutAppendReplacesContent(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            try await d.putContent("/f", Data("old content".utf8))
            let w = try await d.writer("/f", append: false)
            #expect(w.size == 0)
            try await w.write(Data("new".utf8))
            try await w.commit()
            #expect(try await d.getContent("/f") == Data("new".utf8))
        }
    }

    @Test(arguments: DriverUnderTest.all)
    func writerFinishedRejectsFurtherUse(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            let w = try await d.writer("/f", append: false)
            try await w.write(Data("abc".utf8))
            try await w.commit()
            await #expect(throws: StorageError.self) { try await w.write(Data("more".utf8)) }
            await #expect(throws: StorageError.self) { try await w.commit() }
            #expect(try await d.getContent("/f") == Data("abc".utf8))
        }
    }

    @Test(arguments: DriverUnderTest.all)
    func writerCancelRemovesContent(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            let w = try await d.writer("/uploads/u/data", append: false)
            try await w.write(testBytes(4096))
            try await w.close()
            let resumed = try await d.writer("/uploads/u/data", append: true)
            try await resumed.write(Data("x".utf8))
            try await resumed.cancel()
            await #expect(throws: StorageError.pathNotFound("/uploads/u/data")) { try await d.getContent("/uploads/u/data") }
            await #expect(throws: StorageError.self) { try await resumed.write(Data("y".utf8)) }
            await #expect(throws: StorageError.self) { try await resumed.commit() }
            await #expect(throws: StorageError.pathNotFound("/uploads/u/data")) { try await d.stat("/uploads/u/data") }
        }
    }

    @Test(arguments: DriverUnderTest.all)
    func writerAppendToMissingPathIsPathNotFound(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            await #expect(throws: StorageError.pathNotFound("/no/such/upload")) {
                try await d.writer("/no/such/upload", append: true)
            }
            await #expect(throws: StorageError.pathNotFound("/no")) { try await d.stat("/no") }
        }
    }

    /// 50 MiB through a writer in 1 MiB pieces, across a close and resume, read back and
    /// compared by SHA-256.
    @Test(arguments: DriverUnderTest.all)
    func largeContentIsStreamed(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            let piece = testBytes(1 << 20, seed: 3)
            let pieces = 50
            let written = DigestHasher()
            var w = try await d.writer("/blobs/big/data", append: false)
            for i in 0..<pieces {
                var p = piece
                p[0] = UInt8(truncatingIfNeeded: i)
                p[p.count - 1] = UInt8(truncatingIfNeeded: i &* 7)
                if i == pieces / 2 {
                    try await w.close()
                    w = try await d.writer("/blobs/big/data", append: true)
                    #expect(w.size == Int64(i) << 20)
                }
                try await w.write(p)
                written.update(p)
            }
            #expect(w.size == Int64(pieces) << 20)
            try await w.commit()
            #expect(try await d.stat("/blobs/big/data").size == Int64(pieces) << 20)

            let read = DigestHasher()
            let r = try await d.reader("/blobs/big/data", offset: 0)
            var total = 0
            while let chunk = try await r.next() {
                #expect(!chunk.isEmpty && chunk.count <= 1 << 20)
                total += chunk.count
                read.update(chunk)
            }
            #expect(total == pieces << 20)
            #expect(read.finalizeHex() == written.finalizeHex())
        }
    }

    /// Many tasks replace one file while others read it: every read is one whole version.
    @Test(arguments: DriverUnderTest.all)
    func concurrentPutContentNeverTearsReads(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            let size = 256 << 10
            try await d.putContent("/contended", Data(repeating: 0, count: size))
            let torn = try await withThrowingTaskGroup(of: Int.self) { group -> Int in
                for writer in 1...6 {
                    group.addTask {
                        for _ in 0..<8 { try await d.putContent("/contended", Data(repeating: UInt8(writer), count: size)) }
                        return 0
                    }
                }
                for _ in 0..<3 {
                    group.addTask {
                        var bad = 0
                        for _ in 0..<20 {
                            let got = try await d.getContent("/contended")
                            if got.count != size || got.contains(where: { $0 != got.first }) { bad += 1 }
                        }
                        return bad
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(torn == 0)
            let final = try await d.getContent("/contended")
            #expect(final.count == size && (1...6).contains(final.first ?? 0))
        }
    }
}
