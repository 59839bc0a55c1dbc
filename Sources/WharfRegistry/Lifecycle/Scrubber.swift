import Foundation
import WharfAPI
import WharfCrypto
import WharfStorage

/// `wharf scrub`: reads everything stored and reports what is corrupt or missing, deleting
/// and repairing nothing.
///
/// - every blob's bytes hash to the digest its path names;
/// - every manifest revision's bytes are stored, and so are its config and layers
///   (non-distributable layers excepted) and, for an index, its children (revision and bytes);
/// - for an image, each gzip layer's decompressed bytes hash to the config's
///   `rootfs.diff_ids` entry at its position (an uncompressed tar layer's own digest must be it).
///
/// Each finding names the storage path to look at. Read-only: safe while the registry runs
/// (a blob deleted meanwhile may be reported missing).
public struct Scrubber: Sendable {
    /// One thing wrong.
    public struct Finding: Codable, Sendable, Equatable {
        /// `corrupt-blob`, `missing-manifest`, `missing-blob`, `missing-child`, `wrong-diff-id`,
        /// `bad-layer` (not decompressible), `diff-ids-count`, `unreadable-config`.
        public var kind: String
        /// The storage path at fault (the blob's data, or the revision link).
        public var path: String
        public var digest: String
        /// The repository and manifest it was found through, when through one.
        public var repository: String?
        public var manifest: String?
        public var detail: String
    }

    /// What a scrub checked and found.
    public struct Report: Codable, Sendable, Equatable {
        public var blobs = 0
        public var bytes: Int64 = 0
        public var repositories = 0
        public var manifests = 0
        public var layersDecompressed = 0
        public var findings: [Finding] = []
        public var ok: Bool { findings.isEmpty }

        enum CodingKeys: String, CodingKey { case blobs, bytes, repositories, manifests, layersDecompressed, findings, ok }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(blobs, forKey: .blobs)
            try c.encode(bytes, forKey: .bytes)
            try c.encode(repositories, forKey: .repositories)
            try c.encode(manifests, forKey: .manifests)
            try c.encode(layersDecompressed, forKey: .layersDecompressed)
            try c.encode(findings, forKey: .findings)
            try c.encode(ok, forKey: .ok)
        }
        public init() {}
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            blobs = try c.decode(Int.self, forKey: .blobs)
            bytes = try c.decode(Int64.self, forKey: .bytes)
            repositories = try c.decode(Int.self, forKey: .repositories)
            manifests = try c.decode(Int.self, forKey: .manifests)
            layersDecompressed = try c.decode(Int.self, forKey: .layersDecompressed)
            findings = try c.decode([Finding].self, forKey: .findings)
        }
    }

    let driver: StorageDriver
    let paths: RegistryPaths
    let progress: (@Sendable (String, Report) -> Void)?

    public init(driver: StorageDriver, paths: RegistryPaths = RegistryPaths(), progress: (@Sendable (String, Report) -> Void)? = nil) {
        self.driver = driver
        self.paths = paths
        self.progress = progress
    }

    /// One full scrub. Throws on a storage error other than "not found".
    public func run() async throws -> Report {
        var report = Report()
        var stored: Set<Digest> = []
        var corrupt: Set<Digest> = []
        var blobPaths: [(Digest, String)] = []
        try await StoredBlobs.walk(driver: driver, paths: paths) { info, digest in
            if let digest { blobPaths.append((digest, info.path)) }
        }
        for (digest, path) in blobPaths.sorted(by: { $0.1 < $1.1 }) {
            let hasher = DigestHasher(digest.algorithm)
            let size = try await stream(path) { hasher.update($0) }
            report.blobs += 1
            report.bytes += size
            stored.insert(digest)
            let actual = hasher.finalizeHex()
            if actual != digest.hex {
                corrupt.insert(digest)
                report.findings.append(Finding(kind: "corrupt-blob", path: path, digest: digest.string,
                                               detail: "the bytes hash to \(digest.algorithm.rawValue):\(actual)"))
            }
            progress?("blobs", report)
        }
        var layers = LayerCheck(scrubber: self)
        var problems: [String] = []
        let tools = GarbageCollector(driver: driver, paths: paths, options: .init())
        for name in try await tools.repositories(problems: &problems) {
            report.repositories += 1
            let links = LinkFiles(driver: driver)
            for (link, digest) in try await RepositoryScan.linkFiles(under: paths.revisionsRoot(name), links: links, problems: &problems) {
                report.manifests += 1
                try await checkManifest(name, digest, link: link, stored: stored, corrupt: corrupt, layers: &layers, report: &report)
                progress?("manifests", report)
            }
        }
        report.layersDecompressed = layers.decompressed
        return report
    }

    /// Streams `path` to `consume`; returns its size.
    func stream(_ path: String, _ consume: (Data) throws -> Void) async throws -> Int64 {
        let reader = try await driver.reader(path, offset: 0)
        defer { reader.close() }
        var size: Int64 = 0
        while let chunk = try await reader.next() {
            size += Int64(chunk.count)
            try consume(chunk)
        }
        return size
    }
}
