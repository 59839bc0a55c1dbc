import Dispatch
import Foundation

/// Wraps any ``StorageDriver`` with what every driver needs and none should repeat: path
/// validation before the driver sees a path, a timing for every call, and errors that are
/// always ``StorageError`` (the role of CNCF distribution's `base` driver).
///
/// Each call is reported to the observer once, when it ends, with its operation name
/// (``Operation``), its duration and its error, if any; metrics
/// (`imageregistry_storage_duration_seconds{operation}`, `..._errors_total{code}`) and
/// TraceAll logging hook in there.
///
/// ```swift
/// let driver = InstrumentedDriver(try FilesystemDriver(root: "./data")) { operation, seconds, error in
///     logger.debug("\(operation) took \(seconds)s", error.map { ["code": $0.code] } ?? [:])
/// }
/// ```
///
/// Errors from a driver that are not a ``StorageError`` become
/// ``StorageError/unknown(driver:message:)``; a `CancellationError` and errors thrown by a
/// ``walk(_:_:)`` visitor are the caller's own and pass through unchanged.
///
/// It forwards the optional capabilities of the driver it wraps, still checking (and,
/// where cheap enough, timing) them: ``capabilities`` lists only those the wrapped driver
/// has, resolved once at init.
public final class InstrumentedDriver: StorageDriver, LocalFileAccess, DirectoryVersioning, FileStamping, ScratchWrites,
                                       FileListing, BatchDeletion,
                                       @unchecked Sendable {
    /// Receives `(operation, path, seconds, error)` after every call (for a move its source,
    /// for a batch of directories their paths joined by commas).
    public typealias Observer = @Sendable (_ operation: String, _ path: String, _ seconds: Double, _ error: StorageError?) -> Void

    /// The operation names reported to the observer, as the OpenShift registry labels them.
    public enum Operation {
        public static let getContent = "StorageDriver.GetContent"
        public static let putContent = "StorageDriver.PutContent"
        public static let reader = "StorageDriver.Reader"
        public static let writer = "StorageDriver.Writer"
        public static let stat = "StorageDriver.Stat"
        public static let list = "StorageDriver.List"
        public static let move = "StorageDriver.Move"
        public static let delete = "StorageDriver.Delete"
        public static let urlFor = "StorageDriver.URLFor"
        public static let walk = "StorageDriver.Walk"
    }

    /// The wrapped driver.
    public let inner: StorageDriver
    private let observer: Observer
    /// The wrapped driver's capabilities, resolved once.
    private let innerCapabilities: StorageCapabilities
    /// This wrapper in the place of each capability the wrapped driver has (set once, in init).
    public private(set) var capabilities = StorageCapabilities()

    /// The wrapped driver's name, so config and metrics see `filesystem`, `s3`, ...
    public var name: String { inner.name }

    public init(_ inner: StorageDriver, observer: @escaping Observer = { _, _, _, _ in }) {
        self.inner = inner
        self.observer = observer
        let wrapped = inner.capabilities
        innerCapabilities = wrapped
        capabilities = StorageCapabilities(localFiles: wrapped.localFiles == nil ? nil : self,
                                           directories: wrapped.directories == nil ? nil : self,
                                           fileStamps: wrapped.fileStamps == nil ? nil : self,
                                           scratchWrites: wrapped.scratchWrites == nil ? nil : self,
                                           fileListing: wrapped.fileListing == nil ? nil : self,
                                           batchDeletion: wrapped.batchDeletion == nil ? nil : self)
    }

    public func getContent(_ path: String) async throws -> Data {
        try await observed(Operation.getContent, path) {
            try StoragePath.check(path)
            return try await self.inner.getContent(path)
        }
    }

    public func putContent(_ path: String, _ content: Data) async throws {
        try await observed(Operation.putContent, path) {
            try StoragePath.checkFile(path)
            try await self.inner.putContent(path, content)
        }
    }

    public func putScratchContent(_ path: String, _ content: Data) async throws {
        try await observed(Operation.putContent, path) {
            try StoragePath.checkFile(path)
            if let scratch = self.innerCapabilities.scratchWrites {
                try await scratch.putScratchContent(path, content)
            } else {
                try await self.inner.putContent(path, content)
            }
        }
    }

    public func reader(_ path: String, offset: Int64) async throws -> StorageReader {
        try await observed(Operation.reader, path) {
            try StoragePath.check(path)
            guard offset >= 0 else { throw StorageError.invalidOffset(path: path, offset: offset) }
            return ErrorNormalizingReader(try await self.inner.reader(path, offset: offset), driver: self.inner.name,
                                          failed: self.failureReporter(Operation.reader, path))
        }
    }

    public func writer(_ path: String, append: Bool) async throws -> StorageWriter {
        try await observed(Operation.writer, path) {
            try StoragePath.checkFile(path)
            return ErrorNormalizingWriter(try await self.inner.writer(path, append: append), driver: self.inner.name,
                                          failed: self.failureReporter(Operation.writer, path))
        }
    }

    public func stat(_ path: String) async throws -> FileInfo {
        try await observed(Operation.stat, path) {
            try StoragePath.check(path)
            return try await self.inner.stat(path)
        }
    }

    public func list(_ path: String) async throws -> [String] {
        try await observed(Operation.list, path) {
            try StoragePath.check(path)
            return try await self.inner.list(path)
        }
    }

    public func move(from source: String, to destination: String) async throws {
        try await observed(Operation.move, source) {
            try StoragePath.checkFile(source)
            try StoragePath.checkFile(destination)
            try await self.inner.move(from: source, to: destination)
        }
    }

    public func delete(_ path: String) async throws {
        try await observed(Operation.delete, path) {
            try StoragePath.checkFile(path)
            try await self.inner.delete(path)
        }
    }

    public func redirectURL(_ path: String, method: String) async throws -> String? {
        try await observed(Operation.urlFor, path) {
            try StoragePath.check(path)
            return try await self.inner.redirectURL(path, method: method)
        }
    }

    public func walk(_ path: String, _ visit: (FileInfo) async throws -> WalkAction) async throws {
        try await observedWalk(path) { visitor in
            try await self.inner.walk(path) { info in try await visitor.run { try await visit(info) } }
        }
    }

    /// Forwards to the wrapped driver's flat listing (or walks, when it has none); timed as a `Walk`.
    public func walkFiles(_ path: String, _ visit: (FileInfo) async throws -> Void) async throws {
        guard let listing = innerCapabilities.fileListing else { return try await walkFilesByWalking(path, visit) }
        try await observedWalk(path) { visitor in
            try await listing.walkFiles(path) { info in try await visitor.run { try await visit(info) } }
        }
    }

    /// Runs a walk of `path` timed as one `Walk`; errors the visitor threw (run through the
    /// given ``VisitorFailure``) pass through unchanged and are not the storage's.
    private func observedWalk(_ path: String, _ body: (VisitorFailure) async throws -> Void) async throws {
        let visitorFailure = VisitorFailure()
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            try StoragePath.check(path)
            try await body(visitorFailure)
            report(Operation.walk, path, start, nil)
        } catch {
            if let own = visitorFailure.error {
                report(Operation.walk, path, start, nil)
                throw own
            }
            let (reported, thrown) = normalize(error)
            report(Operation.walk, path, start, reported)
            throw thrown
        }
    }

    /// Forwards to the wrapped driver after checking every path (deleting one by one when it
    /// cannot batch); timed as a `Delete` of the paths joined by commas.
    public func deleteFiles(_ paths: [String]) async throws {
        try await observed(Operation.delete, paths.joined(separator: ",")) {
            for p in paths { try StoragePath.checkFile(p) }
            guard let batch = self.innerCapabilities.batchDeletion else {
                for p in paths {
                    do { try await self.inner.delete(p) } catch StorageError.pathNotFound {}
                }
                return
            }
            try await batch.deleteFiles(paths)
        }
    }

    /// Forwards to the wrapped driver after checking every path; timed as a `List`.
    public func listDirectories(_ queries: [DirectoryQuery]) async throws -> [DirectorySnapshot]? {
        try await observed(Operation.list, queries.map(\.path).joined(separator: ",")) {
            for q in queries { try StoragePath.check(q.path) }
            return try await self.innerCapabilities.directories?.listDirectories(queries)
        }
    }

    /// Forwards to the wrapped driver after checking every path; timed as a `List`.
    public func openDirectoryHandles(_ paths: [String]) async throws -> [DirectoryHandle?]? {
        try await observed(Operation.list, paths.joined(separator: ",")) {
            for p in paths { try StoragePath.check(p) }
            return try await self.innerCapabilities.directories?.openDirectoryHandles(paths)
        }
    }

    /// Passed through unobserved after the path checks: this is the per-request validation
    /// of the catalog (one `fstat` a directory), cheaper than its own timing.
    public func directoryVersions(_ directories: [DirectoryReference]) async throws -> [DirectoryVersion?] {
        for case .path(let p) in directories { try StoragePath.check(p) }
        guard let versioning = innerCapabilities.directories else { return directories.map { _ in nil } }
        return try await versioning.directoryVersions(directories)
    }

    /// Passed through unobserved after the path check: a stamp is one inline syscall on the
    /// hot path, and timing it would cost more than it does. An invalid path has no stamp.
    public func fileStamp(_ path: String) -> FileStamp? {
        guard StoragePath.isValid(path) else { return nil }
        return innerCapabilities.fileStamps?.fileStamp(path)
    }

    /// Forwards to the wrapped driver after checking the path (not timed: it is a local open).
    public func openLocalFile(_ path: String) throws -> (descriptor: Int32, size: Int64)? {
        do {
            try StoragePath.check(path)
            return try innerCapabilities.localFiles?.openLocalFile(path)
        } catch {
            throw normalize(error).thrown
        }
    }

    // MARK: -


    private func observed<T>(_ operation: String, _ path: @autoclosure () -> String, _ body: () async throws -> T) async throws -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            let result = try await body()
            report(operation, path(), start, nil)
            return result
        } catch {
            let (reported, thrown) = normalize(error)
            report(operation, path(), start, reported)
            throw thrown
        }
    }

    private func report(_ operation: String, _ path: String, _ start: UInt64, _ error: StorageError?) {
        let elapsed = DispatchTime.now().uptimeNanoseconds &- start
        observer(operation, path, Double(elapsed) / 1e9, error)
    }

    /// Reports a failed read or write of an open reader or writer under `operation` (with the
    /// failing call's duration): a disk that fills up in the middle of an upload is a storage
    /// error too. A cancellation is the caller's, not the storage's, and is not reported.
    private func failureReporter(_ operation: String, _ path: String) -> FailureReporter {
        let observer = self.observer
        return { start, error in
            let elapsed = DispatchTime.now().uptimeNanoseconds &- start
            observer(operation, path, Double(elapsed) / 1e9, error)
        }
    }

    /// `(start uptime ns, normalized error)` of a failed reader or writer call.
    typealias FailureReporter = @Sendable (_ start: UInt64, _ error: StorageError) -> Void

    /// The error to report and the error to throw.
    private func normalize(_ error: Error) -> (reported: StorageError, thrown: Error) {
        Self.normalize(error, driver: inner.name)
    }

    static func normalize(_ error: Error, driver: String) -> (reported: StorageError, thrown: Error) {
        switch error {
        case let storage as StorageError:
            return (storage, storage)
        case is CancellationError:
            return (.unknown(driver: driver, message: "cancelled"), error)
        default:
            let converted = StorageError.unknown(driver: driver, message: String(describing: error))
            return (converted, converted)
        }
    }
}

/// Remembers the error a walk visitor threw, to tell it apart from the driver's.
private final class VisitorFailure: @unchecked Sendable {
    var error: Error?

    /// Runs a visitor call, remembering what it throws.
    func run<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch {
            self.error = error
            throw error
        }
    }
}

/// A reader whose errors are always ``StorageError``.
final class ErrorNormalizingReader: StorageReader, @unchecked Sendable {
    private let inner: StorageReader
    private let driver: String
    private let failed: InstrumentedDriver.FailureReporter

    init(_ inner: StorageReader, driver: String, failed: @escaping InstrumentedDriver.FailureReporter) {
        self.inner = inner
        self.driver = driver
        self.failed = failed
    }

    func next() async throws -> Data? {
        let start = DispatchTime.now().uptimeNanoseconds
        do { return try await inner.next() } catch {
            let (reported, thrown) = InstrumentedDriver.normalize(error, driver: driver)
            if !(error is CancellationError) { failed(start, reported) }
            throw thrown
        }
    }

    func close() { inner.close() }
}

/// A writer whose errors are always ``StorageError``.
final class ErrorNormalizingWriter: StorageWriter, @unchecked Sendable {
    private let inner: StorageWriter
    private let driver: String
    private let failed: InstrumentedDriver.FailureReporter

    init(_ inner: StorageWriter, driver: String, failed: @escaping InstrumentedDriver.FailureReporter) {
        self.inner = inner
        self.driver = driver
        self.failed = failed
    }

    var size: Int64 { inner.size }

    func write(_ data: Data) async throws { try await normalized { try await inner.write(data) } }
    func close() async throws { try await normalized { try await inner.close() } }
    func cancel() async throws { try await normalized { try await inner.cancel() } }
    func commit() async throws { try await normalized { try await inner.commit() } }

    private func normalized(_ body: () async throws -> Void) async throws {
        let start = DispatchTime.now().uptimeNanoseconds
        do { try await body() } catch {
            let (reported, thrown) = InstrumentedDriver.normalize(error, driver: driver)
            if !(error is CancellationError) { failed(start, reported) }
            throw thrown
        }
    }
}
