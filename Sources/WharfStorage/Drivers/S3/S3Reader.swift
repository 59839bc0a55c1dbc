import Foundation

/// Reads an object from an offset with ranged GETs of ``S3Driver/readWindow`` bytes,
/// handing them out in chunks of at most 1 MiB; one window is in memory at a time.
final class S3Reader: StorageReader, @unchecked Sendable {
    private let driver: S3Driver
    private let path: String
    private let size: Int64
    private let lock = NSLock()
    private var offset: Int64
    private var window = Data()
    private var closed = false

    init(driver: S3Driver, path: String, offset: Int64, size: Int64) {
        self.driver = driver
        self.path = path
        self.offset = offset
        self.size = size
    }

    func next() async throws -> Data? {
        let pending: (chunk: Data?, start: Int64, done: Bool) = lock.withLock {
            if closed { return (nil, 0, true) }
            if !window.isEmpty {
                let chunk = Data(window.prefix(driver.readChunkSize))
                window = Data(window.dropFirst(chunk.count))
                return (chunk, 0, true)
            }
            return (nil, offset, false)
        }
        if pending.done { return pending.chunk }
        let start = pending.start
        guard start < size else { return nil }
        let end = min(size, start + Int64(driver.readWindow)) - 1
        let r = try await driver.mapping(path, "GetObject") {
            try await driver.client.send("GET", key: driver.key(path), headers: ["range": "bytes=\(start)-\(end)"])
        }
        guard !r.body.isEmpty else {
            throw StorageError.unknown(driver: "s3", message: "GetObject \(path): empty range answer at \(start) of \(size)")
        }
        guard r.status == 206 || start == 0 else {
            throw StorageError.unknown(driver: "s3", message: "GetObject \(path): range not honoured (HTTP \(r.status))")
        }
        return lock.withLock { () -> Data? in
            if closed { return nil }
            var body = r.body
            if r.status == 200, body.count > end - start + 1 { body = Data(body.prefix(Int(end - start + 1))) }
            offset = start + Int64(body.count)
            let chunk = Data(body.prefix(driver.readChunkSize))
            window = Data(body.dropFirst(chunk.count))
            return chunk
        }
    }

    func close() {
        lock.withLock {
            closed = true
            window = Data()
        }
    }
}
