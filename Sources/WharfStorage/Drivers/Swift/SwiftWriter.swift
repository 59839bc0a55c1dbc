import Foundation
import WharfCrypto

/// A resumable writer on Swift: bytes are sent as segments of `chunksize` bytes under
/// `<prefix>/segments/<random>/`, and ``close()`` joins every segment of the content in a
/// Static Large Object manifest at the path, so the content is then an ordinary object that
/// stat, readers and any replica see. Content that never filled a chunk is one PUT.
///
/// Everything a replica needs to continue is in the container: ``resume(driver:path:)``
/// reads the manifest's segment list (`multipart-manifest=get`) and the new segments are
/// added after them; a single-PUT object is first copied, server-side, into a segment.
/// Bytes already stored are never re-sent. Memory is one segment (plus the caller's chunk).
final class SwiftWriter: StorageWriter, @unchecked Sendable {
    /// One manifest entry: `/<container>/<object>`, its ETag and size.
    struct Segment: Sendable { var path: String; var etag: String; var size: Int64 }

    private let driver: SwiftDriver
    private let path: String
    private var state = WriterState.open
    private let buffer: PartBuffer
    /// Segments of the content this writer continues.
    private var base: [Segment] = []
    /// The size of a single-PUT object this writer continues (copied into a segment before
    /// anything is added to it).
    private var plainBase: Int64?
    /// Segments this writer sent.
    private var added: [Segment] = []
    /// Where this writer's segments go.
    private let segmentDirectory: String

    init(driver: SwiftDriver, path: String) {
        self.driver = driver
        self.path = path
        buffer = PartBuffer(partSize: driver.configuration.chunkSize, dirty: true)
        segmentDirectory = Self.newSegmentDirectory(driver)
    }

    private init(driver: SwiftDriver, path: String, base: [Segment], plainBase: Int64?, size: Int64) {
        self.driver = driver
        self.path = path
        self.base = base
        self.plainBase = plainBase
        buffer = PartBuffer(partSize: driver.configuration.chunkSize, resumedSize: size, dirty: false)
        segmentDirectory = Self.newSegmentDirectory(driver)
    }

    /// `<prefix>/segments/abc/def…` from 16 random bytes, as distribution spreads segments.
    private static func newSegmentDirectory(_ driver: SwiftDriver) -> String {
        let hex = SecureRandom.hexToken(byteCount: 16)
        return driver.segmentsPrefix + hex.prefix(3) + "/" + hex.dropFirst(3)
    }

    /// A writer continuing the object at `path` (see the type's notes).
    static func resume(driver: SwiftDriver, path: String) async throws -> SwiftWriter {
        let name = driver.key(path)
        guard let head = try await driver.head(name: name) else { throw StorageError.pathNotFound(path) }
        guard head.isSLO else {
            return SwiftWriter(driver: driver, path: path, base: [], plainBase: head.size > 0 ? head.size : nil, size: head.size)
        }
        let r = try await driver.client.send("GET", driver.client.resource(name, [("multipart-manifest", "get"), ("format", "raw")]))
        let entries = (try? JSONSerialization.jsonObject(with: r.body)) as? [[String: Any]] ?? []
        let segments = entries.compactMap { e -> Segment? in
            guard let p = e["path"] as? String ?? e["name"] as? String else { return nil }
            let size = (e["size_bytes"] as? NSNumber ?? e["bytes"] as? NSNumber)?.int64Value ?? 0
            return Segment(path: p, etag: e["etag"] as? String ?? e["hash"] as? String ?? "", size: size)
        }
        return SwiftWriter(driver: driver, path: path, base: segments, plainBase: nil, size: head.size)
    }

    var size: Int64 { buffer.written }

    func write(_ data: Data) async throws {
        try state.checkWritable(path)
        try await buffer.write(data) { part in
            try await driver.mapping(path, "PutSegment") { try await putSegment(part) }
        }
    }

    /// The name of this writer's next segment.
    private var nextSegmentName: String { segmentDirectory + String(format: "/%08d", added.count) }

    private var containerPath: String { "/" + driver.configuration.container + "/" }

    private func putSegment(_ body: Data) async throws {
        try await copyPlainBase()
        let name = nextSegmentName
        let etag = try await driver.put(name: name, body)
        added.append(Segment(path: containerPath + name, etag: etag, size: Int64(body.count)))
    }

    /// Copies a single-PUT object being continued into this writer's first segment, server-side.
    private func copyPlainBase() async throws {
        guard let size = plainBase else { return }
        let name = nextSegmentName
        let destination = SwiftClient.encode(driver.configuration.container, slash: true) + "/" + SwiftClient.encode(name)
        let r = try await driver.client.send("COPY", driver.client.resource(driver.key(path)), headers: [("Destination", destination)],
                                             idempotent: true)
        added.append(Segment(path: containerPath + name, etag: r.headers["Etag"] ?? "", size: size))
        plainBase = nil
    }

    func close() async throws { try await finish(.closed) }

    func commit() async throws { try await finish(.committed) }

    /// Puts the content at the path: one PUT when nothing was segmented, else the rest as a
    /// last segment and the manifest of every segment (see the type's notes).
    private func finish(_ next: WriterState) async throws {
        guard try state.shouldFinish(next, path: path) else { return }
        if buffer.dirty {
            try await driver.mapping(path, next == .committed ? "Commit" : "Close") {
                if base.isEmpty && added.isEmpty && plainBase == nil {
                    try await driver.put(name: driver.key(path), buffer.pending)
                } else {
                    if !buffer.pending.isEmpty { try await putSegment(buffer.pending) }
                    try await putManifest(base + added)
                }
                buffer.pending = Data()
                buffer.dirty = false
            }
        }
        state = next
    }

    /// The most entries Swift takes in one manifest (`max_manifest_segments`' default).
    static let maxManifestSegments = 1000

    /// PUTs the manifest of `segments` at the path. Past ``maxManifestSegments`` entries,
    /// runs of them become manifests of their own (nested SLOs, which Swift reads and deletes
    /// recursively) in this writer's segment directory.
    private func putManifest(_ segments: [Segment]) async throws {
        var entries = segments
        var level = 0
        while entries.count > Self.maxManifestSegments {
            var grouped: [Segment] = []
            for start in stride(from: 0, to: entries.count, by: Self.maxManifestSegments) {
                let run = Array(entries[start..<min(entries.count, start + Self.maxManifestSegments)])
                let name = segmentDirectory + String(format: "/manifest-%d-%08d", level, grouped.count)
                try await putManifest(run, name: name)
                grouped.append(Segment(path: containerPath + name, etag: "", size: run.reduce(0) { $0 + $1.size }))
            }
            entries = grouped
            level += 1
        }
        try await putManifest(entries, name: driver.key(path))
    }

    private func putManifest(_ segments: [Segment], name: String) async throws {
        let entries: [[String: Any]] = segments.map { s in
            ["path": s.path, "etag": s.etag.isEmpty ? NSNull() : s.etag.trimmingCharacters(in: CharacterSet(charactersIn: "\"")),
             "size_bytes": s.size]
        }
        _ = try await driver.client.send("PUT", driver.client.resource(name, [("multipart-manifest", "put")]),
                                         headers: [("Content-Type", "application/octet-stream")],
                                         body: try JSONSerialization.data(withJSONObject: entries))
    }

    func cancel() async throws {
        guard state.cancel() else { return }
        buffer.pending = Data()
        try await driver.mapping(path, "Cancel") {
            let name = driver.key(path)
            if let head = try await driver.head(name: name) { try await driver.deleteObject(name: name, slo: head.isSLO) }
            try await driver.bulkDelete(added.map { String($0.path.dropFirst(containerPath.count)) })
        }
    }
}
