import Foundation
import WharfAPI
import WharfStorage

/// One repository as garbage collection reads it: its manifest revisions with what they
/// reference, and where its tags point. Which revisions survive is ``kept(deleteUntagged:)``.
struct RepositoryScan: Sendable {
    let name: RepositoryName
    /// Revisions whose manifest bytes are stored, with their references.
    var revisions: [Digest: ManifestReferences] = [:]
    /// Revision links whose manifest bytes are gone: nothing to mark, the link is swept.
    var danglingRevisions: [Digest] = []
    /// What the tags point at now (`_manifests/tags/<tag>/current/link`).
    var tagged: Set<Digest> = []
    /// Every tag; a removed revision leaves each tag's history (`index/`) too.
    var tags: [Tag] = []
    /// True when a tag could not be read: then no revision of the repository is removed.
    var keepAll = false

    /// Reads `name`'s revisions and tags; `load` gives a manifest's references (nil when
    /// its bytes are not stored). Anything odd is appended to `problems`.
    static func read(_ name: RepositoryName, driver: StorageDriver, paths: RegistryPaths,
                     load: (Digest) async throws -> ManifestReferences?, problems: inout [String]) async throws -> RepositoryScan {
        var scan = RepositoryScan(name: name)
        let links = LinkFiles(driver: driver)
        for (path, digest) in try await linkFiles(under: paths.revisionsRoot(name), links: links, problems: &problems) {
            guard let references = try await load(digest) else {
                scan.danglingRevisions.append(digest)
                problems.append("\(name.value): revision \(digest) has no manifest bytes (link \(path))")
                continue
            }
            if let problem = references.problem {
                problems.append("\(name.value): manifest \(digest) read conservatively (\(problem)): every digest in it is kept")
            }
            scan.revisions[digest] = references
        }
        let tagNames: [String]
        do {
            tagNames = try await driver.list(paths.tagsRoot(name)).map { String($0.split(separator: "/").last ?? "") }.sorted()
        } catch StorageError.pathNotFound {
            tagNames = []
        }
        for raw in tagNames {
            guard let tag = Tag(raw) else {
                scan.keepAll = true
                problems.append("\(name.value): tag directory '\(raw)' is not a valid tag: no revision of the repository is removed")
                continue
            }
            scan.tags.append(tag)
            let current = paths.tagCurrentLink(name, tag)
            if let digest = try await links.read(current) {
                scan.tagged.insert(digest)
            } else if try await links.exists(current) {
                scan.keepAll = true
                problems.append("\(name.value): unreadable tag link \(current): no revision of the repository is removed")
            }
        }
        return scan
    }

    /// The revisions that stay: all of them, or with `deleteUntagged` the tagged ones, the
    /// children of kept indexes, the referrers (by `subject`) of kept manifests, and any
    /// manifest read conservatively (what it is cannot be known, so it is not removed).
    func kept(deleteUntagged: Bool) -> Set<Digest> {
        guard deleteUntagged, !keepAll else { return Set(revisions.keys) }
        return reach(from: Set(revisions.keys.filter { tagged.contains($0) || revisions[$0]?.problem != nil }))
    }

    /// `seeds` with every revision they keep alive: the children of indexes and the
    /// referrers (by `subject`) of manifests kept, transitively.
    func reach(from seeds: Set<Digest>) -> Set<Digest> {
        var referrers: [Digest: [Digest]] = [:]
        for (digest, references) in revisions {
            if let subject = references.subject { referrers[subject, default: []].append(digest) }
        }
        var kept = seeds
        var queue = Array(kept)
        while let digest = queue.popLast() {
            let next = (revisions[digest]?.children ?? []) + (referrers[digest] ?? [])
            for d in next where revisions[d] != nil && kept.insert(d).inserted {
                queue.append(d)
            }
        }
        return kept
    }

    /// The revisions whose `subject` is `digest`.
    func referrers(of digest: Digest) -> [Digest] {
        revisions.filter { $0.value.subject == digest }.map(\.key).sorted()
    }

    /// The `link` files below `root` with the digest each holds (from the path when the
    /// content is unreadable); a missing `root` has none.
    static func linkFiles(under root: String, links: LinkFiles, problems: inout [String]) async throws -> [(String, Digest)] {
        var paths: [String] = []
        do {
            try await links.driver.walk(root) { info in
                if !info.isDirectory, info.path.hasSuffix("/link") { paths.append(info.path) }
                return .continue
            }
        } catch StorageError.pathNotFound {
            return []
        }
        var result: [(String, Digest)] = []
        for path in paths {
            if let digest = try await links.read(path) {
                result.append((path, digest))
                continue
            }
            // `<alg>/<hex>/link`: the layout names the digest too.
            let parts = path.split(separator: "/")
            if parts.count >= 3, let digest = Digest.parse("\(parts[parts.count - 3]):\(parts[parts.count - 2])") {
                problems.append("unreadable link \(path): taken as \(digest)")
                result.append((path, digest))
            } else {
                problems.append("unreadable link \(path): ignored")
            }
        }
        return result
    }
}
