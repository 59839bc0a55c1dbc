import Foundation

/// The writer `writer(append: true)` gives for a file that is a segment manifest (or a
/// plain object below 5 MiB, which it turns into one): this session's bytes become one new
/// segment (an ``S3Writer`` at the segment's key, multipart above `chunksize`), and
/// ``close()`` rewrites the manifest with it. See ``S3SegmentManifest``.
///
/// A last segment below 5 MiB (or a small plain object) is read back and written again at
/// the start of the new segment, so every segment but the last stays a valid non-last part
/// for the multipart copy that commits the file. A session that writes nothing changes
/// nothing and sends nothing.
final class S3SegmentedWriter: StorageWriter, @unchecked Sendable {

    private let driver: S3Driver
    private let path: String
    /// The segments this session keeps as they are.
    private let kept: [S3SegmentManifest.Segment]
    private let keptSize: Int64
    /// A small last segment read back into this session's segment (deleted once replaced).
    private let replaced: S3SegmentManifest.Segment?
    private let segmentName: String
    private let inner: S3Writer
    private var dirty = false
    private var state = WriterState.open

    private init(driver: S3Driver, path: String, kept: [S3SegmentManifest.Segment], replaced: S3SegmentManifest.Segment?) {
        self.driver = driver
        self.path = path
        self.kept = kept
        self.keptSize = kept.reduce(0) { $0 + $1.size }
        self.replaced = replaced
        segmentName = S3SegmentManifest.newSegmentName()
        inner = S3Writer(driver: driver, path: S3SegmentManifest.segmentPath(path, segmentName))
    }

    /// A writer continuing `manifest` at `path`, or the small plain object `plain` there.
    static func resume(driver: S3Driver, path: String, manifest: S3SegmentManifest?, plain: Data?) async throws -> S3SegmentedWriter {
        var kept = manifest?.segments ?? []
        var carry = plain ?? Data()
        var replaced: S3SegmentManifest.Segment?
        if let last = kept.last, last.size < S3Writer.minimumPartSize {
            carry = try await driver.client.send("GET", key: driver.key(S3SegmentManifest.segmentPath(path, last.name))).body
            guard Int64(carry.count) == last.size else {
                throw S3Error(status: 0, code: "ConcurrentModification", message: "segment \(last.name) of \(path) changed size")
            }
            replaced = kept.removeLast()
        }
        let w = S3SegmentedWriter(driver: driver, path: path, kept: kept, replaced: replaced)
        if !carry.isEmpty { try await w.inner.write(carry) }
        return w
    }

    var size: Int64 { keptSize + inner.size }

    func write(_ data: Data) async throws {
        try state.checkWritable(path)
        if data.isEmpty { return }
        dirty = true
        try await inner.write(data)
    }

    func close() async throws { try await finish(.closed) }

    func commit() async throws { try await finish(.committed) }

    private func finish(_ next: WriterState) async throws {
        guard try state.shouldFinish(next, path: path) else { return }
        state = next
        // Nothing new: the file stays as it was (the read-back tail only sits in the buffer).
        guard dirty else { return }
        try await inner.close()
        let manifest = S3SegmentManifest(segments: kept + [.init(name: segmentName, size: inner.size)])
        try await driver.mapping(path, "PutManifest") {
            var h = driver.creationHeaders
            h[S3SegmentManifest.metadataHeader] = String(manifest.size)
            _ = try await driver.client.send("PUT", key: driver.key(path), headers: h, body: manifest.encoded())
        }
        if let replaced {
            _ = try? await driver.client.send("DELETE", key: driver.key(S3SegmentManifest.segmentPath(path, replaced.name)), accept: [404])
        }
    }

    func cancel() async throws {
        guard state != .cancelled else { return }
        state = .cancelled
        try? await inner.cancel()
        var keys = [driver.key(path)] + kept.map { driver.key(S3SegmentManifest.segmentPath(path, $0.name)) }
        if let replaced { keys.append(driver.key(S3SegmentManifest.segmentPath(path, replaced.name))) }
        try await driver.mapping(path, "Cancel") { try await driver.deleteObjects(keys) }
    }
}
