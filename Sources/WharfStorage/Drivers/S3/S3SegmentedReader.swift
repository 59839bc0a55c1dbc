import Foundation

/// Reads a segmented file (``S3SegmentManifest``) from an offset: an ``S3Reader`` per
/// segment, one after the other, from the segment holding the offset.
final class S3SegmentedReader: StorageReader, @unchecked Sendable {
    private let driver: S3Driver
    private let path: String
    private let lock = NSLock()
    /// Segments still to read, with the offset to start each at.
    private var pending: [(segment: S3SegmentManifest.Segment, offset: Int64)]
    private var current: S3Reader?
    private var closed = false

    init(driver: S3Driver, path: String, manifest: S3SegmentManifest, offset: Int64) {
        self.driver = driver
        self.path = path
        var skip = offset
        var out: [(S3SegmentManifest.Segment, Int64)] = []
        for s in manifest.segments {
            if skip >= s.size {
                skip -= s.size
                continue
            }
            out.append((s, skip))
            skip = 0
        }
        pending = out
    }

    func next() async throws -> Data? {
        while true {
            let reader: S3Reader? = lock.withLock {
                if closed { return nil }
                if let current { return current }
                guard !pending.isEmpty else { return nil }
                let (segment, offset) = pending.removeFirst()
                let r = S3Reader(driver: driver, path: S3SegmentManifest.segmentPath(path, segment.name), offset: offset, size: segment.size)
                current = r
                return r
            }
            guard let reader else { return nil }
            if let chunk = try await reader.next() { return chunk }
            lock.withLock { if current === reader { current = nil } }
        }
    }

    func close() {
        let r: S3Reader? = lock.withLock {
            closed = true
            defer { current = nil }
            return current
        }
        r?.close()
    }
}
