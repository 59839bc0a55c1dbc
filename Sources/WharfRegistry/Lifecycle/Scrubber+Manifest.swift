import Foundation
import WharfAPI
import WharfCrypto
import WharfStorage

extension Scrubber {
    /// The diff_id of each layer blob already decompressed (a layer shared by images is read once).
    struct LayerCheck {
        let scrubber: Scrubber
        var diffIDs: [Digest: Result<String, Error>] = [:]
        var decompressed = 0

        /// `sha256:<hex>` of the layer's decompressed bytes.
        mutating func diffID(_ layer: Digest) async -> Result<String, Error> {
            if let known = diffIDs[layer] { return known }
            let result: Result<String, Error>
            do {
                let inflater = try GzipInflater()
                let hasher = DigestHasher(.sha256)
                _ = try await scrubber.stream(scrubber.paths.blobData(layer)) { chunk in
                    try inflater.feed(chunk) { hasher.update($0) }
                }
                try inflater.finish()
                result = .success("sha256:" + hasher.finalizeHex())
            } catch {
                result = .failure(error)
            }
            decompressed += 1
            diffIDs[layer] = result
            return result
        }
    }

    /// Configs whose `rootfs.diff_ids` describe the layers (artifacts' configs do not).
    static let imageConfigTypes: Set<String> = ["application/vnd.oci.image.config.v1+json",
                                                "application/vnd.docker.container.image.v1+json"]

    /// Checks one revision: bytes stored, references stored, diff_ids right.
    func checkManifest(_ name: RepositoryName, _ digest: Digest, link: String, stored: Set<Digest>, corrupt: Set<Digest>,
                       layers: inout LayerCheck, report: inout Report) async throws {
        func finding(_ kind: String, _ path: String, _ d: Digest, _ detail: String) {
            report.findings.append(Finding(kind: kind, path: path, digest: d.string, repository: name.value,
                                           manifest: digest.string, detail: detail))
        }
        guard stored.contains(digest) else {
            finding("missing-manifest", link, digest, "the revision's manifest bytes are not stored")
            return
        }
        guard !corrupt.contains(digest), MarkSet.largestManifest >= (try await driver.stat(paths.blobData(digest)).size),
              let object = try? JSONSerialization.jsonObject(with: try await driver.getContent(paths.blobData(digest))) as? [String: Any]
        else { return }
        let config = Self.descriptor(object["config"])
        let layerList = (object["layers"] as? [Any] ?? []).compactMap(Self.descriptor)
        for child in (object["manifests"] as? [Any] ?? []).compactMap(Self.descriptor) {
            let linked = try await LinkFiles(driver: driver).read(paths.revisionLink(name, child.digest)) == child.digest
            if !linked || !stored.contains(child.digest) {
                finding("missing-child", paths.revisionLink(name, child.digest), child.digest,
                        linked ? "the child manifest's bytes are not stored" : "the child manifest is not a revision of the repository")
            }
        }
        var missing = false
        for d in (config.map { [$0] } ?? []) + layerList where !MediaTypes.nondistributableLayers.contains(d.mediaType) {
            if !stored.contains(d.digest) {
                missing = true
                finding("missing-blob", paths.blobData(d.digest), d.digest, "referenced as \(d.mediaType) but not stored")
            }
        }
        guard let config, Self.imageConfigTypes.contains(config.mediaType), !missing, !corrupt.contains(config.digest) else { return }
        let rootfs = (try? JSONSerialization.jsonObject(with: try await driver.getContent(paths.blobData(config.digest))) as? [String: Any])?["rootfs"] as? [String: Any]
        guard let diffIDs = rootfs?["diff_ids"] as? [String] else {
            finding("unreadable-config", paths.blobData(config.digest), config.digest, "no rootfs.diff_ids in the image config")
            return
        }
        guard diffIDs.count == layerList.count else {
            finding("diff-ids-count", paths.blobData(config.digest), config.digest,
                    "\(diffIDs.count) diff_ids for \(layerList.count) layers")
            return
        }
        for (layer, expected) in zip(layerList, diffIDs) where !corrupt.contains(layer.digest) {
            let path = paths.blobData(layer.digest)
            if layer.mediaType.hasSuffix("gzip") {
                switch await layers.diffID(layer.digest) {
                case .success(let actual) where actual != expected:
                    finding("wrong-diff-id", path, layer.digest, "decompressed bytes hash to \(actual); the config says \(expected)")
                case .failure(let error):
                    finding("bad-layer", path, layer.digest, "\(error)")
                default: break
                }
            } else if layer.mediaType.hasSuffix(".tar"), layer.digest.string != expected {
                finding("wrong-diff-id", path, layer.digest, "an uncompressed layer's diff_id is its digest; the config says \(expected)")
            }
        }
    }

    struct Reference {
        var digest: Digest
        var mediaType: String
    }

    static func descriptor(_ value: Any?) -> Reference? {
        guard let object = value as? [String: Any], let text = object["digest"] as? String, let digest = Digest.parse(text) else { return nil }
        return Reference(digest: digest, mediaType: object["mediaType"] as? String ?? "")
    }
}
