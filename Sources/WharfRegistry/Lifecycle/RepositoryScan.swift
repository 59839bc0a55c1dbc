import Foundation
import WharfAPI
import WharfStorage

/// One repository as garbage collection reads it: its manifest revisions with what they
/// reference, and where its tags point. Which revisions survive is ``kept(deleteUntagged:)``.
///
/// Read from listings (one flat listing of `_manifests/`, and of `_layers/` when asked):
/// a revision's or layer link's digest is its directory's name in the layout, so only the
/// tags' `current` links and the manifests themselves are read.
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
    /// Every revision link's modification time, as listed.
    var revisionTimes: [Digest: Date] = [:]
    /// The files below each revision's directory, as listed.
    var revisionFiles: [Digest: [String]] = [:]
    /// The tags' history links naming each digest (`tags/<tag>/index/<alg>/<hex>/link`), as listed.
    var historyLinks: [Digest: [String]] = [:]
    /// The `_layers` links with the digest each names and their time, as listed (only when
    /// read with `layers`).
    var layerLinks: [(path: String, digest: Digest, modTime: Date)] = []

    /// Reads `name`'s revisions and tags (and with `layers` its `_layers` links); `load`
    /// gives a manifest's references (nil when its bytes are not stored). Anything odd is
    /// appended to `problems`.
    static func read(_ name: RepositoryName, driver: StorageDriver, paths: RegistryPaths, layers: Bool = false,
                     load: (Digest) async throws -> ManifestReferences?, problems: inout [String]) async throws -> RepositoryScan {
        var scan = RepositoryScan(name: name)
        var tagNames: Set<String> = []
        var currentLinks: Set<String> = []
        let manifests = paths.manifestsRoot(name)
        try await listFiles(under: manifests, driver: driver) { info, parts in
            if parts.first == "revisions" {
                guard parts.count >= 4, let digest = Digest.parse("\(parts[1]):\(parts[2])") else {
                    problems.append("\(name.value): unrecognized file \(info.path) in revisions: ignored")
                    return
                }
                scan.revisionFiles[digest, default: []].append(info.path)
                if parts.count == 4, parts[3] == "link" { scan.revisionTimes[digest] = info.modTime }
            } else if parts.first == "tags", parts.count >= 3 {
                tagNames.insert(String(parts[1]))
                if parts.count == 4, parts[2] == "current", parts[3] == "link" { currentLinks.insert(String(parts[1])) }
                if parts.count == 6, parts[2] == "index", parts[5] == "link", let digest = Digest.parse("\(parts[3]):\(parts[4])") {
                    scan.historyLinks[digest, default: []].append(info.path)
                }
            }
        }
        for digest in scan.revisionTimes.keys.sorted() {
            guard let references = try await load(digest) else {
                scan.danglingRevisions.append(digest)
                problems.append("\(name.value): revision \(digest) has no manifest bytes (link \(paths.revisionLink(name, digest)))")
                continue
            }
            if let problem = references.problem {
                problems.append("\(name.value): manifest \(digest) read conservatively (\(problem)): every digest in it is kept")
            }
            scan.revisions[digest] = references
        }
        let links = LinkFiles(driver: driver)
        for raw in tagNames.sorted() {
            guard let tag = Tag(raw) else {
                scan.keepAll = true
                problems.append("\(name.value): tag directory '\(raw)' is not a valid tag: no revision of the repository is removed")
                continue
            }
            scan.tags.append(tag)
            guard currentLinks.contains(raw) else { continue }
            if let digest = try await links.read(paths.tagCurrentLink(name, tag)) {
                scan.tagged.insert(digest)
            } else {
                // Unreadable, or deleted since the listing: either way, remove nothing here.
                scan.keepAll = true
                problems.append("\(name.value): unreadable tag link \(paths.tagCurrentLink(name, tag)): no revision of the repository is removed")
            }
        }
        if layers {
            let root = paths.layersRoot(name)
            try await listFiles(under: root, driver: driver) { info, parts in
                if parts.count == 3, parts[2] == "link", let digest = Digest.parse("\(parts[0]):\(parts[1])") {
                    scan.layerLinks.append((info.path, digest, info.modTime))
                } else {
                    problems.append("\(name.value): unrecognized file \(info.path) in _layers: ignored")
                }
            }
        }
        return scan
    }

    /// Every file below `root` (one flat listing where the driver has one) with its path's
    /// components below `root`; a missing `root` has none.
    static func listFiles(under root: String, driver: StorageDriver,
                          _ visit: (FileInfo, [Substring]) async throws -> Void) async throws {
        do {
            try await driver.walkFiles(root) { info in
                try await visit(info, info.path.dropFirst(root.count + 1).split(separator: "/"))
            }
        } catch StorageError.pathNotFound {}
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
