import Foundation
import WharfAPI
import WharfStorage

extension GarbageCollector {
    /// Directories deleted a request where the driver batches (S3 DeleteObjects takes 1000 keys).
    static let sweepBatch = 1000

    /// Removes what the mark did not keep, in distribution's order: untagged revisions
    /// first, then blobs, then the links left pointing at nothing. A dry run only counts.
    /// Sizes come from the listing: nothing is read or statted before it is deleted.
    func sweep(scans: [RepositoryScan], removals: [(RepositoryScan, [Digest])], mark: MarkSet,
               report: inout Report) async throws {
        let links = LinkFiles(driver: driver)
        var pending: [ListedDirectory] = []
        for (scan, removed) in removals {
            for digest in removed { pending += revisionDirectories(scan, digest) }
        }
        try await flush(&pending, links: links)

        // Blobs: every `blobs/<alg>/<xx>/<hex>/` with a `data` file not marked.
        var unrecognized: [String] = []
        let stored = try await StoredBlobs.list(driver: driver, paths: paths, unrecognized: &unrecognized)
        report.problems += unrecognized
        report.blobsFound = stored.count
        report.blobsMarked = mark.marked.count
        var remaining = Set(stored.keys)
        for (digest, blob) in stored.sorted(by: { $0.key < $1.key }) where !mark.marked.contains(digest) {
            pending.append(blob.directory(digest, paths: paths))
            remaining.remove(digest)
            report.blobsSwept += 1
            report.bytesFreed += blob.size
            report.sweptDigests.append(digest.string)
            if pending.count >= Self.sweepBatch {
                try await flush(&pending, links: links)
                tell("sweep", report)
            }
        }
        try await flush(&pending, links: links)

        // Links left pointing at a blob that is not stored.
        for scan in scans {
            for (path, digest, _) in scan.layerLinks where !remaining.contains(digest) {
                pending.append(ListedDirectory(path: StoragePath.parent(path), files: [path]))
                report.linksRemoved += 1
            }
            for digest in scan.danglingRevisions {
                pending.append(ListedDirectory(path: paths.revisionDirectory(scan.name, digest), files: scan.revisionFiles[digest] ?? []))
                report.linksRemoved += 1
            }
            if pending.count >= Self.sweepBatch { try await flush(&pending, links: links) }
        }
        try await flush(&pending, links: links)
    }

    /// Deletes `pending` (unless a dry run) and empties it.
    private func flush(_ pending: inout [ListedDirectory], links: LinkFiles) async throws {
        defer { pending.removeAll(keepingCapacity: true) }
        if !options.dryRun, !pending.isEmpty { try await links.deleteListed(pending) }
    }

    /// What removing an untagged revision deletes, as distribution's vacuum removes it (its
    /// entry in every tag's history, then its revision directory), with Wharf's referrer
    /// entry for it.
    func revisionDirectories(_ scan: RepositoryScan, _ digest: Digest) -> [ListedDirectory] {
        var out = (scan.historyLinks[digest] ?? []).map { ListedDirectory(path: StoragePath.parent($0), files: [$0]) }
        out.append(ListedDirectory(path: paths.revisionDirectory(scan.name, digest),
                                   files: scan.revisionFiles[digest] ?? [paths.revisionLink(scan.name, digest)]))
        if let subject = scan.revisions[digest]?.subject {
            let link = paths.referrerLink(scan.name, subject: subject, referrer: digest)
            out.append(ListedDirectory(path: StoragePath.parent(link), files: [link]))
        }
        return out
    }

    /// Removes an untagged revision (see ``revisionDirectories(_:_:)``).
    func removeRevision(_ scan: RepositoryScan, _ digest: Digest, links: LinkFiles) async throws {
        guard !options.dryRun else { return }
        try await links.deleteListed(revisionDirectories(scan, digest))
    }
}
