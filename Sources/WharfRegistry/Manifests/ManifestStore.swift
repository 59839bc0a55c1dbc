import Foundation
import WharfAPI
import WharfCrypto
import WharfStorage

/// Manifests of a repository: bytes in the global blob store, linked by
/// `_manifests/revisions/...`, named by `_manifests/tags/<tag>/current/link`.
struct ManifestStore: Sendable {
    let context: RegistryContext

    var paths: RegistryPaths { context.paths }
    var links: LinkFiles { context.links }

    /// The digest `reference` names in `name`, or nil. Tags are checked in storage every
    /// time (replicas share storage and a tag may move): read, or, when the driver stamps
    /// files, revalidated by one `stat` each of the tag and revision links (``LinkCache``).
    func resolve(_ name: RepositoryName, _ reference: Reference) async throws -> Digest? {
        switch reference {
        case .tag(let tag):
            // Like distribution, a tag whose revision was unlinked (e.g. by GC) names nothing.
            guard let digest = try await links.read(paths.tagCurrentLink(name, tag)),
                  try await exists(name, digest) else { return nil }
            return digest
        case .digest(let digest):
            return try await exists(name, digest) ? digest : nil
        }
    }

    /// True when `name` has a revision of `digest` (distribution also looks in `_layers`,
    /// where 2.1.0 linked manifests by mistake).
    func exists(_ name: RepositoryName, _ digest: Digest) async throws -> Bool {
        if try await links.read(paths.revisionLink(name, digest)) == digest { return true }
        return try await links.read(paths.layerLink(name, digest)) == digest
    }

    /// The manifest's bytes and summary, from the cache or the blob store; nil when gone.
    func load(_ digest: Digest) async throws -> StoredManifest? {
        let cached = context.manifests.get(digest)
        context.metrics?.digestCacheLookup(hit: cached != nil, scoped: false)
        if let cached { return cached }
        let data: Data
        do {
            data = try await context.driver.getContent(paths.blobData(digest))
        } catch StorageError.pathNotFound {
            return nil
        }
        guard data.count <= max(context.options.maxManifestSize, 4 << 20) * 4 else {
            throw RegistryError(.manifestInvalid, detail: "stored manifest \(digest) is too large to serve")
        }
        let manifest = StoredManifest(digest: digest, data: data, summary: ManifestDocument.summary(of: data))
        context.manifests.put(manifest)
        return manifest
    }

    /// Validates and stores a pushed manifest and points each of `tags` at it; returns its
    /// digest and parsed form.
    func put(_ name: RepositoryName, _ reference: Reference, tags: [Tag], data: Data,
             contentType: String?) async throws -> (Digest, ManifestDocument) {
        let document = try ManifestDocument.parse(data, contentType: contentType)
        let algorithm: DigestAlgorithm
        if case .digest(let d) = reference { algorithm = d.algorithm } else { algorithm = .sha256 }
        let digest = Digest.of([UInt8](data), algorithm)
        if case .digest(let expected) = reference, expected != digest {
            throw RegistryError(.digestInvalid, detail: "manifest digest \(digest) does not match \(expected)")
        }
        try await verifyReferences(name, document)
        if context.options.testManifestPutDelay > 0 {
            try await Task.sleep(nanoseconds: UInt64(context.options.testManifestPutDelay * 1e9))
        }
        let subject = document.subject?.digest
        let collected = context.options.onlineGC
        let before = collected ? try await linksBefore(name, digest, tags: tags, subject: subject) : nil

        let blobs = BlobStore(context: context)
        if try await blobs.globalSize(digest) != Int64(data.count) {
            try await context.driver.putContent(paths.blobData(digest), data)
        }
        try await links.write(paths.revisionLink(name, digest), digest)
        for tag in tags {
            try await links.write(paths.tagIndexLink(name, tag, digest), digest)
            try await links.write(paths.tagCurrentLink(name, tag), digest)
        }
        if !tags.isEmpty { context.tagLists.remove(name.value) }
        if let subject {
            try await links.write(paths.referrerLink(name, subject: subject, referrer: digest), digest)
        }
        if let before { try await checkCollectorRace(name, digest, document, before: before, subject: subject) }
        context.manifests.put(StoredManifest(digest: digest, data: data, summary: ManifestDocument.summary(of: data)))
        return (digest, document)
    }

    /// Config and layers must be linked blobs (nondistributable layers excepted); an
    /// index's children must be manifests of this repository. MANIFEST_BLOB_UNKNOWN otherwise.
    /// A descriptor whose `size` is not the stored content's size is MANIFEST_INVALID: clients
    /// must check sizes, and a registry that checks protects them all.
    func verifyReferences(_ name: RepositoryName, _ document: ManifestDocument) async throws {
        let blobs = BlobStore(context: context)
        var required: [Descriptor] = []
        if let config = document.config { required.append(config) }
        required += document.layers.filter { !MediaTypes.nondistributableLayers.contains($0.mediaType) }
        for d in required {
            guard let size = try await blobs.stat(name, d.digest) else {
                throw RegistryError(.manifestBlobUnknown, detail: d.digest.string)
            }
            try Self.checkSize(d, stored: size)
        }
        for m in document.manifests {
            guard try await exists(name, m.digest) else {
                throw RegistryError(.manifestBlobUnknown, detail: m.digest.string)
            }
            if let size = try? await context.driver.stat(paths.blobData(m.digest)).size {
                try Self.checkSize(m, stored: size)
            }
        }
    }

    private static func checkSize(_ d: Descriptor, stored: Int64) throws {
        guard d.size == stored else {
            throw RegistryError(.manifestInvalid, detail: "descriptor \(d.digest.string) has size \(d.size), the stored content has \(stored) bytes")
        }
    }

    /// Every tag of `name`, sorted; `[]` when it has no tags but exists (``repositoryExists(_:)``);
    /// nil when the repository does not exist.
    /// Where the driver versions directories, the listing comes from ``TagListCache`` after
    /// a check that `_manifests/tags` is unchanged in storage (one `stat`).
    func tags(_ name: RepositoryName) async throws -> [String]? {
        let root = paths.tagsRoot(name)
        let cached = context.tagLists.get(name.value)
        if let snapshot = try await context.storage.directories?.listDirectories([DirectoryQuery(path: root, known: cached?.version)])?.first {
            switch snapshot {
            case .unchanged:
                if let cached { return cached.tags }
            case .listed(let entries, let version):
                let tags = entries.map(\.name)
                if let version { context.tagLists.put(name.value, version: version, tags: tags) } else { context.tagLists.remove(name.value) }
                return tags
            case .missing:
                context.tagLists.remove(name.value)
                return try await repositoryExists(name) ? [] : nil
            }
        }
        do {
            let children = try await context.driver.list(paths.tagsRoot(name))
            return children.map { String($0.split(separator: "/").last ?? "") }.filter { !$0.isEmpty }.sorted()
        } catch StorageError.pathNotFound {
            return try await repositoryExists(name) ? [] : nil
        }
    }

    /// True while `name` has `_manifests` or `_layers`, as the catalog counts repositories.
    /// Object stores have no empty directories: once the last tag is deleted `_manifests/tags`
    /// is gone, and once the last revision is, `_manifests` may be too, while layer links remain.
    func repositoryExists(_ name: RepositoryName) async throws -> Bool {
        if try await links.exists(paths.manifestsRoot(name)) { return true }
        return try await links.exists(paths.layersRoot(name))
    }

    /// Deletes a revision: its link, every tag currently pointing at it, and its referrer entry.
    /// Returns the tags removed, or nil when the repository has no such revision.
    func deleteRevision(_ name: RepositoryName, _ digest: Digest) async throws -> [String]? {
        guard try await exists(name, digest) else { return nil }
        var untagged: [String] = []
        let manifest = try await load(digest)
        defer { context.tagLists.remove(name.value) }
        let links = self.links, paths = self.paths
        let candidates = (try await tags(name) ?? []).compactMap { Tag($0) }
        let pointing = try await TagLookup.bounded(candidates, limit: context.options.tagConcurrencyLimit) { t in
            try await links.read(paths.tagCurrentLink(name, t)) == digest ? t : nil
        }
        // Removed with the same bound: each is a directory of its own, and on object stores
        // each is several round trips.
        _ = try await TagLookup.bounded(pointing, limit: context.options.tagConcurrencyLimit) { t -> Bool? in
            try await links.delete(paths.tagDirectory(name, t))
            return nil
        }
        untagged = pointing.map(\.value)
        try await links.delete(paths.revisionLink(name, digest))
        if try await links.read(paths.layerLink(name, digest)) == digest {
            try await links.delete(paths.layerLink(name, digest))
            await context.blobCache?.forget(name, digest)
        }
        if let subject = manifest?.summary.subject {
            try await links.delete(paths.referrerLink(name, subject: subject, referrer: digest))
        }
        return untagged
    }

    /// Removes a tag (the revision stays); false when the tag does not exist.
    func deleteTag(_ name: RepositoryName, _ tag: Tag) async throws -> Bool {
        guard try await links.read(paths.tagCurrentLink(name, tag)) != nil else { return false }
        defer { context.tagLists.remove(name.value) }
        return try await links.delete(paths.tagDirectory(name, tag))
    }
}
