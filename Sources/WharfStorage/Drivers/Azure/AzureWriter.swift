import Foundation

/// A resumable writer on a block blob: bytes are staged as blocks of `chunksize` bytes
/// (Put Block) and ``close()`` commits the blob's block list (Put Block List), so the
/// content is then an ordinary blob at the path that stat, readers and any replica see.
///
/// Block ids are derived from the block's index (`wharf-block-0000000042`, base64, all the
/// same length as the service requires), so a replica continuing the writer needs nothing
/// but the service: ``resume(driver:path:)`` reads the committed blocks with Get Block List
/// and stages the next ones after them; the bytes already stored are never re-sent (a blob
/// written whole by Put Blob is turned into blocks by Put Block From URL, server-side).
/// Memory is one block (plus the caller's chunk); 50,000 blocks of ≤ 4000 MiB is the
/// service's limit on a blob.
final class AzureWriter: StorageWriter, @unchecked Sendable {
    /// The most bytes one Put Block From URL copies (the service's limit: 100 MiB).
    static let maxCopyBlock: Int64 = 100 << 20

    private let driver: AzureDriver
    private let path: String
    private var state = WriterState.open
    private let buffer: PartBuffer
    /// Committed block ids, in order.
    private var committed: [String] = []
    /// Ids staged by this session, in order.
    private var staged: [String] = []

    init(driver: AzureDriver, path: String) {
        self.driver = driver
        self.path = path
        buffer = PartBuffer(partSize: driver.configuration.chunkSize, dirty: true)
    }

    private init(driver: AzureDriver, path: String, committed: [String], size: Int64) {
        self.driver = driver
        self.path = path
        self.committed = committed
        buffer = PartBuffer(partSize: driver.configuration.chunkSize, resumedSize: size, dirty: false)
    }

    /// The block id of block `index`: base64 of a fixed-width text, the same on every replica.
    static func blockID(_ index: Int) -> String {
        Data(String(format: "wharf-block-%010d", index).utf8).base64EncodedString()
    }

    /// A writer continuing the blob at `path`: its committed blocks come from Get Block List.
    static func resume(driver: AzureDriver, path: String) async throws -> AzureWriter {
        let name = driver.blobName(path)
        let r = try await driver.client.send("GET", blob: name, query: [("comp", "blocklist"), ("blocklisttype", "committed")],
                                             accept: [404])
        if r.status == 404 { throw StorageError.pathNotFound(path) }
        guard let (ids, blockBytes) = AzureDriver.parseBlockList(r.body) else {
            throw AzureError(status: r.status, code: "InvalidBlockList", message: "the committed block list of \(name) does not add up")
        }
        let size = Int64(r.headers["x-ms-blob-content-length"] ?? "") ?? blockBytes
        let w = AzureWriter(driver: driver, path: path, committed: ids, size: size)
        if blockBytes != size, ids.isEmpty {
            // Written whole (Put Blob): its bytes become the first blocks, copied server-side.
            try await w.stageCopy(of: name, size: size)
        }
        return w
    }

    /// Stages the blob `name`'s `size` bytes as blocks with Put Block From URL (a read SAS
    /// as the source, or the bearer token in `x-ms-copy-source-authorization` without a key).
    private func stageCopy(of name: String, size: Int64) async throws {
        let sas = driver.client.signer?.blobReadSAS(container: driver.configuration.container, blob: name,
                                                    expiry: Date().addingTimeInterval(3600), version: AzureClient.version)
        let source = driver.client.url(blob: name, query: sas ?? [])
        var start: Int64 = 0
        while start < size {
            let end = min(size, start + Self.maxCopyBlock) - 1
            try checkBlockCount()
            let id = Self.blockID(committed.count + staged.count)
            var headers = ["x-ms-copy-source": source, "x-ms-source-range": "bytes=\(start)-\(end)"]
            if let tokens = driver.client.tokens, driver.client.signer == nil {
                headers["x-ms-copy-source-authorization"] = "Bearer " + (try await tokens.token())
            }
            _ = try await driver.client.send("PUT", blob: name, query: [("comp", "block"), ("blockid", id)], headers: headers)
            staged.append(id)
            start = end + 1
        }
        buffer.dirty = true
    }

    var size: Int64 { buffer.written }

    func write(_ data: Data) async throws {
        try state.checkWritable(path)
        try await buffer.write(data) { block in
            try await driver.mapping(path, "PutBlock") { try await putBlock(block) }
        }
    }

    private func putBlock(_ body: Data) async throws {
        try checkBlockCount()
        let id = Self.blockID(committed.count + staged.count)
        _ = try await driver.client.send("PUT", blob: driver.blobName(path), query: [("comp", "block"), ("blockid", id)],
                                         body: body)
        staged.append(id)
    }

    /// Refuses a block past the service's limit on a blob (``AzureDriver/maxBlocks``) with
    /// an error that says what to change, before the service answers with its own.
    private func checkBlockCount() throws {
        let limit = driver.maxBlocks
        guard committed.count + staged.count < limit else {
            throw StorageError.unsupported("storage.azure: \(path) would need more than \(limit) blocks, the most a blob has "
                + "(\(limit) × chunksize \(driver.configuration.chunkSize) bytes); raise storage.azure.chunksize (up to 4000 MiB)")
        }
    }

    func close() async throws { try await finish(.closed) }

    func commit() async throws { try await finish(.committed) }

    /// Stages what is buffered and commits the block list (see the type's notes).
    private func finish(_ next: WriterState) async throws {
        guard try state.shouldFinish(next, path: path) else { return }
        if buffer.dirty {
            try await driver.mapping(path, "PutBlockList") {
                if !buffer.pending.isEmpty { try await putBlock(buffer.pending) }
                buffer.pending = Data()
                var xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>"
                for id in committed { xml += "<Committed>\(id)</Committed>" }
                for id in staged { xml += "<Uncommitted>\(id)</Uncommitted>" }
                xml += "</BlockList>"
                _ = try await driver.client.send("PUT", blob: driver.blobName(path), query: [("comp", "blocklist")],
                                                 headers: ["Content-Type": "application/xml"], body: Data(xml.utf8))
                committed += staged
                staged = []
            }
        }
        buffer.pending = Data()
        state = next
    }

    func cancel() async throws {
        guard state != .cancelled else { return }
        state = .cancelled
        buffer.pending = Data()
        try await driver.mapping(path, "Cancel") {
            _ = try await driver.client.send("DELETE", blob: driver.blobName(path), accept: [404])
        }
    }
}
