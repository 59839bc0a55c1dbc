import Foundation
import Testing
@testable import WharfStorage
import WharfTestSupport

/// Collects what an ``InstrumentedDriver`` reports.
final class ObservedCalls: @unchecked Sendable {
    private let lock = NSLock()
    private var calls: [(operation: String, path: String, seconds: Double, error: StorageError?)] = []

    var observer: InstrumentedDriver.Observer {
        { [self] operation, path, seconds, error in lock.withLock { calls.append((operation, path, seconds, error)) } }
    }

    var operations: [String] { lock.withLock { calls.map(\.operation) } }
    var paths: [String] { lock.withLock { calls.map(\.path) } }
    var errorCodes: [String?] { lock.withLock { calls.map { $0.error?.code } } }
    var durations: [Double] { lock.withLock { calls.map(\.seconds) } }
    func reset() { lock.withLock { calls.removeAll() } }
}

/// A driver that fails every call with a non-storage error and counts the calls it got.
final class FailingDriver: StorageDriver, LocalFileAccess, @unchecked Sendable {
    struct Boom: Error, CustomStringConvertible { var description: String { "boom from the backend" } }

    let name = "failing"
    private let lock = NSLock()
    private var count = 0
    var calls: Int { lock.withLock { count } }

    private func fail() throws -> Never {
        lock.withLock { count += 1 }
        throw Boom()
    }

    func getContent(_ path: String) async throws -> Data { try fail() }
    func putContent(_ path: String, _ content: Data) async throws { try fail() }
    func reader(_ path: String, offset: Int64) async throws -> StorageReader { FailingReader() }
    func writer(_ path: String, append: Bool) async throws -> StorageWriter { FailingWriter() }
    func stat(_ path: String) async throws -> FileInfo { try fail() }
    func list(_ path: String) async throws -> [String] { try fail() }
    func move(from source: String, to destination: String) async throws { try fail() }
    func delete(_ path: String) async throws { try fail() }
    func redirectURL(_ path: String, method: String) async throws -> String? { try fail() }
    func walk(_ path: String, _ visit: (FileInfo) async throws -> WalkAction) async throws { try fail() }
    func openLocalFile(_ path: String) throws -> (descriptor: Int32, size: Int64)? { try fail() }
}

final class FailingReader: StorageReader, @unchecked Sendable {
    func next() async throws -> Data? { throw FailingDriver.Boom() }
    func close() {}
}

final class FailingWriter: StorageWriter, @unchecked Sendable {
    var size: Int64 { 0 }
    func write(_ data: Data) async throws { throw FailingDriver.Boom() }
    func close() async throws { throw FailingDriver.Boom() }
    func cancel() async throws { throw FailingDriver.Boom() }
    func commit() async throws { throw FailingDriver.Boom() }
}

@Suite("InstrumentedDriver")
struct InstrumentedDriverTests {
    static let boom = StorageError.unknown(driver: "failing", message: "boom from the backend")

    @Test func everyOperationIsReportedByName() async throws {
        let calls = ObservedCalls()
        let d = InstrumentedDriver(InMemoryDriver(), observer: calls.observer)
        try await d.putContent("/a/f", Data("x".utf8))
        _ = try await d.getContent("/a/f")
        _ = try await d.reader("/a/f", offset: 0)
        let w = try await d.writer("/a/g", append: false)
        try await w.commit()
        _ = try await d.stat("/a/f")
        _ = try await d.list("/a")
        try await d.move(from: "/a/g", to: "/a/h")
        try await d.delete("/a/h")
        _ = try await d.redirectURL("/a/f", method: "GET")
        try await d.walk("/") { _ in .continue }
        #expect(calls.operations == ["StorageDriver.PutContent", "StorageDriver.GetContent", "StorageDriver.Reader",
                                     "StorageDriver.Writer", "StorageDriver.Stat", "StorageDriver.List", "StorageDriver.Move",
                                     "StorageDriver.Delete", "StorageDriver.URLFor", "StorageDriver.Walk"])
        #expect(calls.paths == ["/a/f", "/a/f", "/a/f", "/a/g", "/a/f", "/a", "/a/g", "/a/h", "/a/f", "/"])
        #expect(calls.errorCodes.allSatisfy { $0 == nil })
        #expect(calls.durations.allSatisfy { $0 >= 0 && $0 < 60 })
        #expect(d.name == "inmemory")
    }

    @Test func errorsAreReportedWithTheirCodes() async throws {
        let calls = ObservedCalls()
        let d = InstrumentedDriver(InMemoryDriver(), observer: calls.observer)
        try await d.putContent("/f", Data("abc".utf8))
        _ = try? await d.getContent("/missing")
        _ = try? await d.stat("bad path")
        _ = try? await d.reader("/f", offset: 99)
        _ = try? await d.list("/missing")
        #expect(calls.operations == ["StorageDriver.PutContent", "StorageDriver.GetContent", "StorageDriver.Stat",
                                     "StorageDriver.Reader", "StorageDriver.List"])
        #expect(calls.errorCodes == [nil, "PATH_NOT_FOUND", "INVALID_PATH", "INVALID_OFFSET", "PATH_NOT_FOUND"])
    }

    @Test func invalidPathsNeverReachTheDriver() async throws {
        let inner = FailingDriver()
        let calls = ObservedCalls()
        let d = InstrumentedDriver(inner, observer: calls.observer)
        for p in ["", "/a/../b", "/a/"] {
            await #expect(throws: StorageError.invalidPath(p)) { try await d.getContent(p) }
            await #expect(throws: StorageError.invalidPath(p)) { try await d.move(from: "/ok", to: p) }
            await #expect(throws: StorageError.invalidPath(p)) { try await d.walk(p) { _ in .continue } }
            #expect(throws: StorageError.invalidPath(p)) { try d.openLocalFile(p) }
        }
        await #expect(throws: StorageError.invalidPath("/")) { try await d.delete("/") }
        await #expect(throws: StorageError.invalidOffset(path: "/f", offset: -5)) { try await d.reader("/f", offset: -5) }
        #expect(inner.calls == 0)
        #expect(calls.errorCodes.allSatisfy { $0 == "INVALID_PATH" || $0 == "INVALID_OFFSET" })
    }

    @Test func foreignErrorsBecomeUnknownStorageErrors() async throws {
        let calls = ObservedCalls()
        let d = InstrumentedDriver(FailingDriver(), observer: calls.observer)
        await #expect(throws: Self.boom) { try await d.getContent("/f") }
        await #expect(throws: Self.boom) { try await d.putContent("/f", Data()) }
        await #expect(throws: Self.boom) { try await d.stat("/f") }
        await #expect(throws: Self.boom) { try await d.list("/f") }
        await #expect(throws: Self.boom) { try await d.move(from: "/f", to: "/g") }
        await #expect(throws: Self.boom) { try await d.delete("/f") }
        await #expect(throws: Self.boom) { try await d.redirectURL("/f", method: "GET") }
        await #expect(throws: Self.boom) { try await d.walk("/") { _ in .continue } }
        #expect(throws: Self.boom) { try d.openLocalFile("/f") }
        #expect(calls.errorCodes == Array(repeating: "UNKNOWN", count: 8))

        let r = try await d.reader("/f", offset: 0)
        await #expect(throws: Self.boom) { try await r.next() }
        let w = try await d.writer("/f", append: false)
        await #expect(throws: Self.boom) { try await w.write(Data("x".utf8)) }
        await #expect(throws: Self.boom) { try await w.close() }
        await #expect(throws: Self.boom) { try await w.cancel() }
        await #expect(throws: Self.boom) { try await w.commit() }
        // Failures of an open reader or writer are storage errors too (a disk that fills up in
        // the middle of an upload): reported under Reader/Writer, one per failed call.
        typealias Op = InstrumentedDriver.Operation
        #expect(Array(calls.operations.suffix(7)) == [Op.reader, Op.reader, Op.writer, Op.writer, Op.writer, Op.writer, Op.writer])
        #expect(Array(calls.errorCodes.suffix(7)) == [nil, "UNKNOWN", nil, "UNKNOWN", "UNKNOWN", "UNKNOWN", "UNKNOWN"])
    }

    struct VisitorError: Error, Equatable {}

    @Test func walkVisitorErrorsPassThroughUnchanged() async throws {
        let calls = ObservedCalls()
        let d = InstrumentedDriver(InMemoryDriver(), observer: calls.observer)
        try await d.putContent("/w/a", Data())
        await #expect(throws: VisitorError()) { try await d.walk("/") { _ in throw VisitorError() } }
        #expect(calls.operations.last == "StorageDriver.Walk")
        #expect(calls.errorCodes.last == .some(nil))
    }

    @Test func openLocalFileIsForwarded() async throws {
        let scratch = try Scratch.make()
        defer { Scratch.remove(scratch) }
        let fs = InstrumentedDriver(try FilesystemDriver(root: scratch.path))
        try await fs.putContent("/f", Data("hello".utf8))
        let local = try fs.openLocalFile("/f")
        #expect(local?.size == 5)
        if let fd = local?.descriptor { close(fd) }
        #expect(throws: StorageError.pathNotFound("/g")) { try fs.openLocalFile("/g") }

        let memory = InstrumentedDriver(InMemoryDriver())
        try await memory.putContent("/f", Data("hello".utf8))
        #expect(try memory.openLocalFile("/f") == nil)
    }

    /// The wrapper offers exactly the capabilities of the driver it wraps, itself in their
    /// place, so calls through them are still checked and timed.
    @Test func capabilitiesAreThoseOfTheWrappedDriver() async throws {
        let memory = InstrumentedDriver(InMemoryDriver()).capabilities
        #expect(memory.localFiles == nil && memory.directories == nil && memory.fileStamps == nil && memory.scratchWrites == nil)

        let scratch = try Scratch.make()
        defer { Scratch.remove(scratch) }
        let calls = ObservedCalls()
        let fs = InstrumentedDriver(try FilesystemDriver(root: scratch.path), observer: calls.observer)
        let capabilities = fs.capabilities
        #expect(capabilities.localFiles as AnyObject? === fs && capabilities.directories as AnyObject? === fs)
        #expect(capabilities.fileStamps as AnyObject? === fs && capabilities.scratchWrites as AnyObject? === fs)
        try await #require(capabilities.scratchWrites).putScratchContent("/u/startedat", Data("x".utf8))
        _ = try await #require(capabilities.directories).listDirectories([DirectoryQuery(path: "/u", known: nil)])
        #expect(calls.operations == ["StorageDriver.PutContent", "StorageDriver.List"])
        await #expect(throws: StorageError.invalidPath("/u/../x")) {
            try await #require(capabilities.scratchWrites).putScratchContent("/u/../x", Data())
        }
    }
}
