import Foundation
import WharfAPI

extension ManifestStore {
    /// Stores a manifest fetched from an upstream, exactly as received (its digest already
    /// checked), and points `tag` at it. Its blobs are not required to be here: they are
    /// filled when clients ask for them.
    func storeFetched(_ name: RepositoryName, digest: Digest, data: Data, tag: Tag?) async throws {
        if try await BlobStore(context: context).globalSize(digest) != Int64(data.count) {
            try await context.driver.putContent(paths.blobData(digest), data)
        }
        try await links.write(paths.revisionLink(name, digest), digest)
        if let tag {
            try await links.write(paths.tagIndexLink(name, tag, digest), digest)
            try await links.write(paths.tagCurrentLink(name, tag), digest)
            context.tagLists.remove(name.value)
        }
        let manifest = StoredManifest(digest: digest, data: data, summary: ManifestDocument.summary(of: data))
        if let subject = manifest.summary.subject {
            try await links.write(paths.referrerLink(name, subject: subject, referrer: digest), digest)
        }
        context.manifests.put(manifest)
    }
}
