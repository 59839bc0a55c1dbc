import Foundation
import WharfAPI
import WharfStorage

/// The mark phase's state: every digest in use, and the manifests already read (a
/// manifest shared by repositories is read once).
final class MarkSet {
    /// Blob bytes larger than this are never read as a manifest (manifests are capped at 4 MiB).
    static let largestManifest: Int64 = 16 << 20

    let driver: StorageDriver
    let paths: RegistryPaths
    /// Digests in use: manifests, configs, layers, index children.
    private(set) var marked: Set<Digest> = []
    /// Manifests whose references are marked already.
    private var expanded: Set<Digest> = []
    /// References by manifest digest; nil: no bytes stored.
    private var loaded: [Digest: ManifestReferences?] = [:]

    init(driver: StorageDriver, paths: RegistryPaths) {
        self.driver = driver
        self.paths = paths
    }

    /// What the manifest stored as `digest` references; nil when its bytes are not stored.
    /// With `sizeChecked`, a blob too large to be a manifest is not read (it references nothing).
    func references(of digest: Digest, sizeChecked: Bool = false) async throws -> ManifestReferences? {
        if let known = loaded[digest] { return known }
        let path = paths.blobData(digest)
        let references: ManifestReferences?
        do {
            if sizeChecked, try await driver.stat(path).size > Self.largestManifest {
                references = ManifestReferences()
            } else {
                references = ManifestReferences.read(try await driver.getContent(path))
            }
        } catch StorageError.pathNotFound {
            references = nil
        }
        loaded[digest] = references
        return references
    }

    /// Marks a kept manifest, its blobs, and its children with everything they reach.
    func markManifest(_ digest: Digest, problems: inout [String]) async throws {
        var stack = [(digest, false)]
        while let (current, reachedByScan) = stack.popLast() {
            marked.insert(current)
            guard expanded.insert(current).inserted,
                  let references = try await references(of: current, sizeChecked: reachedByScan) else { continue }
            // A digest found by scanning may name a layer: its bytes are no manifest and reference nothing.
            if reachedByScan && references.problem == ManifestReferences.notJSON { continue }
            if current != digest, let problem = references.problem, !reachedByScan {
                problems.append("manifest \(current) (child of a kept index) read conservatively (\(problem)): every digest in it is kept")
            }
            marked.formUnion(references.blobs)
            let scanned = references.problem != nil
            for child in references.children { stack.append((child, scanned)) }
        }
    }
}
