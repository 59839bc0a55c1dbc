import Foundation

/// A driver keeping everything in process memory: for tests and throwaway registries.
///
/// Files live in one dictionary keyed by path; directories are implied by the paths
/// below them, as in an object store. Content is lost when the process exits.
public final class InMemoryDriver: StorageDriver, @unchecked Sendable {
    public let name = "inmemory"

    struct Entry {
        var content: Data
        var modTime: Date
    }

    private var files: [String: Entry] = [:]
    private let lock = NSLock()

    public init() {}

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    public func getContent(_ path: String) async throws -> Data {
        try StoragePath.check(path)
        guard let e = locked({ files[path] }) else { throw StorageError.pathNotFound(path) }
        return e.content
    }


    public func putContent(_ path: String, _ content: Data) async throws {
        try StoragePath.checkFile(path)
        try locked {
            if isDirectoryLocked(path) { throw StorageError.invalidPath(path) }
            files[path] = Entry(content: content, modTime: Date())
        }
    }

    public func reader(_ path: String, offset: Int64) async throws -> StorageReader {
        let data = try await getContent(path)
        guard offset >= 0, offset <= Int64(data.count) else { throw StorageError.invalidOffset(path: path, offset: offset) }
        return InMemoryReader(data, offset: Int(offset))
    }

    public func writer(_ path: String, append: Bool) async throws -> StorageWriter {
        try StoragePath.checkFile(path)
        var initial = Data()
        let existing = try locked { () -> Entry? in
            if isDirectoryLocked(path) { throw StorageError.invalidPath(path) }
            return files[path]
        }
        if append {
            guard let e = existing else { throw StorageError.pathNotFound(path) }
            initial = e.content
        }
        return InMemoryWriter(driver: self, path: path, initial: initial)
    }

    func store(_ path: String, _ content: Data) {
        locked { files[path] = Entry(content: content, modTime: Date()) }
    }

    public func stat(_ path: String) async throws -> FileInfo {
        try StoragePath.check(path)
        return try locked {
            if let e = files[path] { return FileInfo(path: path, size: Int64(e.content.count), modTime: e.modTime, isDirectory: false) }
            if path == "/" || isDirectoryLocked(path) { return FileInfo(path: path, size: 0, modTime: Date(), isDirectory: true) }
            throw StorageError.pathNotFound(path)
        }
    }

    public func list(_ path: String) async throws -> [String] {
        try StoragePath.check(path)
        return try locked {
            let prefix = path == "/" ? "/" : path + "/"
            var children = Set<String>()
            for key in files.keys where key.hasPrefix(prefix) {
                let rest = key.dropFirst(prefix.count)
                let first = rest.split(separator: "/", maxSplits: 1).first.map(String.init) ?? String(rest)
                children.insert(StoragePath.join(path, first))
            }
            if children.isEmpty && path != "/" { throw StorageError.pathNotFound(path) }
            return children.sorted()
        }
    }

    public func move(from source: String, to destination: String) async throws {
        try StoragePath.checkFile(source)
        try StoragePath.checkFile(destination)
        try locked {
            guard files[source] != nil else { throw StorageError.pathNotFound(source) }
            if isDirectoryLocked(destination) { throw StorageError.invalidPath(destination) }
            guard let e = files.removeValue(forKey: source) else { throw StorageError.pathNotFound(source) }
            files[destination] = Entry(content: e.content, modTime: Date())
        }
    }

    public func delete(_ path: String) async throws {
        try StoragePath.checkFile(path)
        try locked {
            let prefix = path == "/" ? "/" : path + "/"
            let doomed = files.keys.filter { $0 == path || $0.hasPrefix(prefix) }
            if doomed.isEmpty { throw StorageError.pathNotFound(path) }
            for k in doomed { files.removeValue(forKey: k) }
        }
    }

    public func redirectURL(_ path: String, method: String) async throws -> String? {
        try StoragePath.check(path)
        return nil
    }

    /// The shared walk over `list` + `stat`.
    public func walk(_ path: String, _ visit: (FileInfo) async throws -> WalkAction) async throws {
        try await walkByListing(path, visit)
    }

    private func isDirectoryLocked(_ path: String) -> Bool {
        let prefix = path == "/" ? "/" : path + "/"
        return files.keys.contains { $0.hasPrefix(prefix) }
    }
}

/// Hands out 1 MiB slices of a snapshot of the content, without copying the rest
/// (copying the remainder per chunk made reading n bytes cost O(n²)).
final class InMemoryReader: StorageReader, @unchecked Sendable {
    private var data: Data?
    private var position: Int
    private let lock = NSLock()
    private static let chunk = 1 << 20

    init(_ data: Data, offset: Int) {
        self.data = data
        self.position = data.startIndex + offset
    }

    func next() async throws -> Data? {
        lock.withLock {
            guard let d = data, position < d.endIndex else {
                data = nil
                return nil
            }
            let end = min(position + Self.chunk, d.endIndex)
            defer { position = end }
            return d.subdata(in: position..<end)
        }
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        data = nil
    }
}

/// Buffers the content and stores it on close or commit, so a later writer with
/// `append: true` resumes it.
final class InMemoryWriter: StorageWriter, @unchecked Sendable {

    private let driver: InMemoryDriver
    private let path: String
    private var buffer: Data
    private var state = WriterState.open
    private let lock = NSLock()

    init(driver: InMemoryDriver, path: String, initial: Data) {
        self.driver = driver
        self.path = path
        self.buffer = initial
    }

    var size: Int64 {
        lock.lock()
        defer { lock.unlock() }
        return Int64(buffer.count)
    }

    func write(_ data: Data) async throws {
        try lock.withLock {
            try state.checkWritable(path)
            buffer.append(data)
        }
    }

    func close() async throws {
        try finish(.closed)
    }

    func cancel() async throws {
        let wasCancelled = lock.withLock {
            let was = state == .cancelled
            state = .cancelled
            buffer = Data()
            return was
        }
        if !wasCancelled { try? await driver.delete(path) }
    }

    func commit() async throws {
        try finish(.committed)
    }

    /// Stores the buffer; closing twice is harmless, committing a finished writer is an error.
    private func finish(_ next: WriterState) throws {
        lock.lock()
        defer { lock.unlock() }
        guard try state.shouldFinish(next, path: path) else { return }
        state = next
        driver.store(path, buffer)
    }
}
