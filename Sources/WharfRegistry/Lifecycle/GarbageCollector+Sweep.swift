import Foundation
import WharfAPI
import WharfStorage

extension GarbageCollector {
    /// Removes what the mark did not keep, in distribution's order: untagged revisions
    /// first, then blobs, then the links left pointing at nothing. A dry run only counts.
    func sweep(scans: [RepositoryScan], removals: [(RepositoryScan, [Digest])], mark: MarkSet,
               report: inout Report) async throws {
        let links = LinkFiles(driver: driver)
        for (scan, removed) in removals {
            for digest in removed {
                try await removeRevision(scan, digest, links: links)
            }
        }

        // Blobs: every `blobs/<alg>/<xx>/<hex>/data` not marked.
        var stored: [Digest: Int64] = [:]
        var unrecognized: [String] = []
        try await StoredBlobs.walk(driver: driver, paths: paths) { info, digest in
            if let digest { stored[digest] = info.size } else { unrecognized.append("unrecognized blob path \(info.path): left alone") }
        }
        report.problems += unrecognized
        report.blobsFound = stored.count
        report.blobsMarked = mark.marked.count
        var remaining = Set(stored.keys)
        for digest in stored.keys.sorted() where !mark.marked.contains(digest) {
            if !options.dryRun {
                do { try await driver.delete(paths.blobDirectory(digest)) } catch StorageError.pathNotFound {}
            }
            remaining.remove(digest)
            report.blobsSwept += 1
            report.bytesFreed += stored[digest] ?? 0
            report.sweptDigests.append(digest.string)
            if report.blobsSwept % 256 == 0 { tell("sweep", report) }
        }

        // Links left pointing at a blob that is not stored.
        for scan in scans {
            var problems: [String] = []
            for (path, digest) in try await RepositoryScan.linkFiles(under: paths.layersRoot(scan.name), links: links, problems: &problems)
            where !remaining.contains(digest) {
                if !options.dryRun { try await links.delete(StoragePath.parent(path)) }
                report.linksRemoved += 1
            }
            report.problems += problems
            for digest in scan.danglingRevisions {
                if !options.dryRun { try await links.delete(paths.revisionDirectory(scan.name, digest)) }
                report.linksRemoved += 1
            }
        }
    }

    /// Removes an untagged revision as distribution's vacuum does (its entry in every tag's
    /// history, then its revision directory), and Wharf's referrer entry for it.
    func removeRevision(_ scan: RepositoryScan, _ digest: Digest, links: LinkFiles) async throws {
        guard !options.dryRun else { return }
        for tag in scan.tags {
            try await links.delete(StoragePath.parent(paths.tagIndexLink(scan.name, tag, digest)))
        }
        try await links.delete(paths.revisionDirectory(scan.name, digest))
        if let subject = scan.revisions[digest]?.subject {
            try await links.delete(StoragePath.parent(paths.referrerLink(scan.name, subject: subject, referrer: digest)))
        }
    }
}
