import Foundation
import WharfAPI
import WharfStorage

/// The manifest PUT's half of the online collection protocol (docs/operations.md): after
/// writing its links, a PUT re-reads the collectors' plans from storage and checks its
/// blobs again; when it may have raced a sweep, it takes its links back and fails
/// MANIFEST_BLOB_UNKNOWN, so a stored manifest never references a missing blob.
extension ManifestStore {
    /// The links a PUT is about to write, as they were before, to put them back.
    struct LinksBefore {
        var revisionExisted: Bool
        var referrerExisted: Bool
        /// Per tag: where it pointed, and whether its history already had this digest.
        var tags: [(tag: Tag, current: Digest?, indexed: Bool)]
    }

    /// Reads what ``put`` will overwrite.
    func linksBefore(_ name: RepositoryName, _ digest: Digest, tags: [Tag], subject: Digest?) async throws -> LinksBefore {
        var before = LinksBefore(revisionExisted: try await links.read(paths.revisionLink(name, digest)) != nil,
                                 referrerExisted: false, tags: [])
        if let subject {
            before.referrerExisted = try await links.exists(paths.referrerLink(name, subject: subject, referrer: digest))
        }
        for tag in tags {
            before.tags.append((tag, try await links.read(paths.tagCurrentLink(name, tag)),
                                try await links.exists(paths.tagIndexLink(name, tag, digest))))
        }
        return before
    }

    /// Fails (after putting `before` back) when a collector's live plan lists what the
    /// manifest needs and its mark 2 may already have run, or when a needed blob is gone.
    func checkCollectorRace(_ name: RepositoryName, _ digest: Digest, _ document: ManifestDocument,
                            before: LinksBefore, subject: Digest?) async throws {
        let blobs = (document.config.map { [$0.digest] } ?? [])
            + document.layers.filter { !MediaTypes.nondistributableLayers.contains($0.mediaType) }.map(\.digest)
        let required = [digest] + blobs
        let children = document.manifests.map(\.digest)
        let now = Date()
        var conflict: String?
        for plan in try await CollectionPlans.all(driver: context.driver, paths: paths) {
            guard let plan else { conflict = "an unreadable garbage collection plan"; break }
            guard plan.isLive(now: now), plan.mayHaveSwept(now: now) else { continue }
            let listed = Set(plan.blobs)
            if let hit = (required + children).first(where: { listed.contains($0.string) }) {
                conflict = "\(hit) is being garbage collected"
                break
            }
            let revisions = Set(plan.revisions)
            if let hit = ([digest] + children).first(where: { revisions.contains(.init(repository: name.value, digest: $0.string)) }) {
                conflict = "revision \(hit) is being garbage collected"
                break
            }
        }
        // A sweep that finished (its plan deleted) before the plans were read: its
        // deletions are visible now. Config and layers must still be linked into the
        // repository too (read from storage, not the blob cache): a sweep removes the
        // `_layers` links of the blobs it deleted, and one may have removed a link that a
        // push of the same blob had just written again.
        if conflict == nil {
            let store = BlobStore(context: context)
            for d in required where try await store.globalSize(d) == nil {
                conflict = "\(d) was garbage collected"
                break
            }
            for d in blobs where conflict == nil {
                if try await links.read(paths.layerLink(name, d)) != d {
                    conflict = "the link of \(d) into \(name.value) was garbage collected"
                }
            }
            for child in children where conflict == nil {
                let linked = try await exists(name, child)
                let stored = try await store.globalSize(child) != nil
                if !linked || !stored {
                    conflict = "\(child) was garbage collected"
                }
            }
        }
        guard let conflict else { return }
        try await restore(name, digest, before: before, subject: subject)
        context.logger.info("manifest PUT refused: it raced garbage collection", ["repository": name.value, "digest": digest.string, "reason": conflict])
        throw RegistryError(.manifestBlobUnknown, detail: conflict + "; push the blobs again")
    }

    /// Puts the links a refused PUT wrote back as they were.
    private func restore(_ name: RepositoryName, _ digest: Digest, before: LinksBefore, subject: Digest?) async throws {
        for (tag, current, indexed) in before.tags {
            if let current {
                try await links.write(paths.tagCurrentLink(name, tag), current)
            } else {
                try await links.delete(paths.tagDirectory(name, tag))
            }
            if !indexed, current != nil { try await links.delete(StoragePath.parent(paths.tagIndexLink(name, tag, digest))) }
        }
        if !before.tags.isEmpty { context.tagLists.remove(name.value) }
        if let subject, !before.referrerExisted {
            try await links.delete(StoragePath.parent(paths.referrerLink(name, subject: subject, referrer: digest)))
        }
        if !before.revisionExisted { try await links.delete(paths.revisionDirectory(name, digest)) }
    }
}
