import Foundation
import WharfStorage

/// The `repositories/` tree behind `_catalog`, kept in memory and validated against
/// storage on every request, so the answer is what a full walk would find now.
///
/// Each directory the walk reads is kept with its subdirectories and the
/// ``DirectoryVersion`` it was listed at. A request asks the driver, in one batch, whether
/// every kept directory still has its version (a `stat` each on the filesystem) and lists
/// only those that changed, then the new subdirectories those reveal (one batch per tree
/// level). A repository pushed or deleted through any replica changes the version of the
/// directory that gained or lost it, so nothing is ever served stale; the cost of a request
/// is one `stat` per directory instead of a `readdir` per directory and a `stat` per entry.
/// Drivers without directory versions (object stores) get nil and the caller walks.
final class CatalogIndex: @unchecked Sendable {
    /// One directory under `repositories/` (relative path, `""` for the root itself).
    struct Node {
        var version: DirectoryVersion?
        /// Subdirectories that may be or hold repositories (names not starting with `_`).
        var children: [String]
        /// Has a `_manifests` or `_layers` directory.
        var isRepository: Bool
    }

    private struct State {
        var nodes: [String: Node] = [:]
        /// Every directory reachable from the root, in walk order, with the version its node
        /// was listed at (nil: not listed yet, or too fresh to reuse).
        var reachable: [Query] = []
        /// The sorted repository names the nodes describe.
        var answer: [String] = []
    }

    private typealias Query = (relative: String, absolute: String, version: DirectoryVersion?)

    private var state = State()
    private let lock = NSLock()
    /// Trees with more directories than this are walked the same way but not kept.
    let maxDirectories: Int

    init(maxDirectories: Int = 200_000) {
        self.maxDirectories = maxDirectories
    }

    /// Every repository name under `root`, sorted; nil when `driver` cannot version
    /// directories.
    func repositories(driver: StorageDriver, root: String) async throws -> [String]? {
        var current = lock.withLock { state }
        var queries: [Query] = current.reachable.isEmpty ? [("", root, nil)] : current.reachable
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
        if !changed { return current.answer }

        var fresh = State()
        var stack: [(relative: String, absolute: String)] = [("", root)]
        while let (relative, absolute) = stack.popLast() {
            guard let node = current.nodes[relative] else { continue }
            fresh.nodes[relative] = node
            fresh.reachable.append((relative, absolute, node.version))
            if node.isRepository { fresh.answer.append(relative) }
            for child in node.children.reversed() {
                stack.append((relative.isEmpty ? child : relative + "/" + child, absolute + "/" + child))
            }
        }
        // Also ask about listed subdirectories that vanished before they could be read, so
        // they are found if they come back while their parent's version stays put.
        for (relative, absolute, _) in fresh.reachable {
            guard let node = fresh.nodes[relative] else { continue }
            for child in node.children {
                let path = relative.isEmpty ? child : relative + "/" + child
                if fresh.nodes[path] == nil { fresh.reachable.append((path, absolute + "/" + child, nil)) }
            }
        }
        fresh.answer.sort()
        let answer = fresh.answer
        lock.withLock { state = fresh.reachable.count <= maxDirectories ? fresh : State() }
        return answer
    }
}
