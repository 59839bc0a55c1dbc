import Foundation
import WharfStorage

/// The `repositories/` tree behind `_catalog`, kept in memory and validated against
/// storage on every request, so the answer is what a full walk would find now.
///
/// Each directory the walk reads is kept with its subdirectories and the
/// ``DirectoryVersion`` it was listed at. A request checks every kept directory's version
/// and lists only those that changed, then the new subdirectories those reveal (one batch
/// per tree level). A repository pushed or deleted through any replica changes the version
/// of the directory that gained or lost it, so nothing is ever served stale.
///
/// Where the driver holds directories open (``DirectoryHandle``, the filesystem) a kept
/// directory is checked through its handle, an `fstat` without a path lookup, and only the
/// root by path. A handle's answer counts only down an unbroken chain of confirmed handles
/// from the root: a directory's handle is opened after its parent's kept version was read,
/// so while that version holds, the name still leads to the handle's directory. Everything
/// else (the root, directories under a changed one, directories without a handle) is
/// checked by path, and handles are reopened for them when the tree is rebuilt. Drivers
/// without directory versions (object stores) get nil and the caller walks.
final class CatalogIndex: @unchecked Sendable {
    /// One directory under `repositories/` (relative path, `""` for the root itself).
    struct Node {
        var version: DirectoryVersion?
        /// Subdirectories that may be or hold repositories (names not starting with `_`).
        var children: [String]
        /// Has a `_manifests` or `_layers` directory.
        var isRepository: Bool
    }

    /// One directory reachable from the root, in walk order (parents before children).
    struct Kept {
        var relative: String
        var absolute: String
        /// The version its node was listed at (nil: not listed yet, or too fresh to reuse).
        var version: DirectoryVersion?
        /// Index of the parent in the walk order; -1 for the root.
        var parent: Int
        /// Opened after the parent's kept version was read; nil for the root, or when the
        /// driver has no handles or no budget left.
        var handle: DirectoryHandle?
    }

    /// The sorted repository names, and a number that is never the same for two different
    /// answers of one index (so a page encoded for one generation can be served again while
    /// the generation holds).
    struct Listing {
        var names: [String]
        var generation: UInt64
    }

    private struct State {
        var nodes: [String: Node] = [:]
        var reachable: [Kept] = []
        var answer: [String] = []
        var generation: UInt64 = 0
    }

    private typealias Query = (relative: String, absolute: String, version: DirectoryVersion?)

    private var state = State()
    private var generations: UInt64 = 0
    private let lock = NSLock()
    /// Trees with more directories than this are walked the same way but not kept.
    let maxDirectories: Int

    init(maxDirectories: Int = 200_000) {
        self.maxDirectories = maxDirectories
    }

    /// Every repository name under `root`, sorted; nil when `driver` cannot version
    /// directories.
    func repositories(driver: StorageDriver, root: String) async throws -> [String]? {
        guard let directories = driver.capabilities.directories else { return nil }
        return try await listing(directories: directories, root: root)?.names
    }

    /// Every repository name under `root`, sorted, with its generation, read and
    /// revalidated through the driver's directory versions (resolved once by the caller);
    /// nil when they turn out to be unavailable.
    func listing(directories driver: any DirectoryVersioning, root: String) async throws -> Listing? {
        var current = lock.withLock { state }
        let kept = current.reachable
        var trusted = [Bool](repeating: false, count: kept.count)
        var queries: [Query] = []
        if kept.isEmpty {
            queries = [("", root, nil)]
        } else {
            trusted = try await Self.confirmed(kept, driver: driver)
            for i in kept.indices where !trusted[i] { queries.append((kept[i].relative, kept[i].absolute, kept[i].version)) }
        }
        var changed = false
        while !queries.isEmpty {
            guard let results = try await driver.listDirectories(
                queries.map { DirectoryQuery(path: $0.absolute, known: $0.version) }) else { return nil }
            var next: [Query] = []
            for (query, result) in zip(queries, results) {
                switch result {
                case .unchanged:
                    continue
                case .missing:
                    if current.nodes.removeValue(forKey: query.relative) != nil { changed = true }
                case .listed(let entries, let version):
                    changed = true
                    var node = Node(version: version, children: [], isRepository: false)
                    for entry in entries where entry.isDirectory {
                        if entry.name.hasPrefix("_") {
                            if !query.relative.isEmpty, entry.name == "_manifests" || entry.name == "_layers" { node.isRepository = true }
                            continue
                        }
                        node.children.append(entry.name)
                        let child = query.relative.isEmpty ? entry.name : query.relative + "/" + entry.name
                        if current.nodes[child] == nil { next.append((child, query.absolute + "/" + entry.name, nil)) }
                    }
                    current.nodes[query.relative] = node
                }
            }
            queries = next
        }
        if !changed { return Listing(names: current.answer, generation: current.generation) }

        var reusable: [String: DirectoryHandle] = [:]
        for (k, isTrusted) in zip(kept, trusted) where isTrusted { reusable[k.relative] = k.handle }
        var fresh = State()
        var stack: [(relative: String, absolute: String, parent: Int)] = [("", root, -1)]
        while let (relative, absolute, parent) = stack.popLast() {
            guard let node = current.nodes[relative] else { continue }
            let index = fresh.reachable.count
            fresh.nodes[relative] = node
            fresh.reachable.append(Kept(relative: relative, absolute: absolute, version: node.version, parent: parent,
                                        handle: reusable[relative]))
            if node.isRepository { fresh.answer.append(relative) }
            for child in node.children.reversed() {
                stack.append((relative.isEmpty ? child : relative + "/" + child, absolute + "/" + child, index))
            }
        }
        // Also ask about listed subdirectories that vanished before they could be read, so
        // they are found if they come back while their parent's version stays put.
        for index in fresh.reachable.indices {
            let (relative, absolute) = (fresh.reachable[index].relative, fresh.reachable[index].absolute)
            guard let node = fresh.nodes[relative] else { continue }
            for child in node.children {
                let path = relative.isEmpty ? child : relative + "/" + child
                if fresh.nodes[path] == nil {
                    fresh.reachable.append(Kept(relative: path, absolute: absolute + "/" + child, version: nil, parent: index, handle: nil))
                }
            }
        }
        fresh.answer.sort()
        let keep = fresh.reachable.count <= maxDirectories
        if keep { try await Self.openHandles(&fresh.reachable, driver: driver) }
        let answer = fresh.answer
        let generation = lock.withLock {
            generations &+= 1
            fresh.generation = generations
            state = keep ? fresh : State()
            return generations
        }
        return Listing(names: answer, generation: generation)
    }

    /// Which kept directories are confirmed unchanged, in one call: the root by path, the
    /// rest through their handles, each only when every handle between it and the root shows
    /// its kept version too. All false when the root changed: a name under it may lead
    /// elsewhere now, so everything is checked by path.
    private static func confirmed(_ kept: [Kept], driver: any DirectoryVersioning) async throws -> [Bool] {
        var trusted = [Bool](repeating: false, count: kept.count)
        guard let rootVersion = kept[0].version else { return trusted }
        var indices: [Int] = []
        var directories: [DirectoryReference] = [.path(kept[0].absolute)]
        indices.reserveCapacity(kept.count)
        directories.reserveCapacity(kept.count)
        // Only where the chain can hold: below a directory without a version or a handle,
        // everything is checked by path anyway.
        var eligible = [Bool](repeating: false, count: kept.count)
        eligible[0] = true
        for i in kept.indices.dropFirst() where kept[i].version != nil && eligible[kept[i].parent] {
            if let handle = kept[i].handle {
                eligible[i] = true
                indices.append(i)
                directories.append(.handle(handle))
            }
        }
        let versions = try await driver.directoryVersions(directories)
        guard versions.first == rootVersion else { return trusted }
        trusted[0] = true
        var matches = [Bool](repeating: false, count: kept.count)
        for (i, version) in zip(indices, versions.dropFirst()) where version != nil && version == kept[i].version { matches[i] = true }
        for i in kept.indices.dropFirst() {
            trusted[i] = matches[i] && trusted[kept[i].parent]
        }
        return trusted
    }

    /// Opens handles for the listed directories (root excepted) that have none and could be
    /// confirmed through one: every directory between them and the root has a version (one
    /// changed less than 2 s ago has none and is listed again on every request, so the
    /// handles under it would be checked by path anyway). They are opened now, after every
    /// version this request read, as ``confirmed(_:driver:)`` needs.
    private static func openHandles(_ reachable: inout [Kept], driver: any DirectoryVersioning) async throws {
        guard let first = reachable.first, first.version != nil else { return }
        var settled = [Bool](repeating: false, count: reachable.count)
        settled[0] = true
        var missing: [Int] = []
        for i in reachable.indices.dropFirst() {
            settled[i] = reachable[i].version != nil && settled[reachable[i].parent]
            if settled[i], reachable[i].handle == nil { missing.append(i) }
        }
        guard !missing.isEmpty,
              let handles = try await driver.openDirectoryHandles(missing.map { reachable[$0].absolute }) else { return }
        for (i, handle) in zip(missing, handles) { reachable[i].handle = handle }
    }
}
