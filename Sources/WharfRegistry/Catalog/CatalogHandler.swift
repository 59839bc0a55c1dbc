import Foundation
import WharfHTTP
import WharfStorage

/// `GET /v2/_catalog?n=&last=`: repository names in lexical order, paginated with `Link`.
/// A repository is a directory under `repositories/` holding `_manifests` or `_layers`;
/// names may be nested (`a/b/c`).
struct CatalogHandler: Sendable {
    let context: RegistryContext

    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        let max = context.options.catalogMaxEntries
        let pagination = try Pagination(request: request, defaultLimit: max, maximum: max)
        let (names, more) = pagination.page(try await repositories())
        var headers: HTTPHeaders = ["Content-Type": "application/json; charset=utf-8"]
        if more, let last = names.last, let n = pagination.limit {
            headers.set("Link", Pagination.link(path: "/v2/_catalog", last: last, limit: n))
        }
        return HTTPResponse(status: 200, headers: headers, body: .bytes(NameListJSON.repositories(names)))
    }

    /// Every repository name, sorted: from ``CatalogIndex`` (validated against storage)
    /// where the driver versions directories, otherwise by walking the tree.
    func repositories() async throws -> [String] {
        let root = context.paths.repositoriesRoot
        if let names = try await context.catalog.repositories(driver: context.driver, root: root) { return names }
        var found = Set<String>()
        do {
            try await context.driver.walk(root) { info in
                guard info.isDirectory else { return .continue }
                let relative = info.path.dropFirst(root.count + 1)
                guard let slash = relative.lastIndex(of: "/") else {
                    return relative.hasPrefix("_") ? .skipDirectory : .continue
                }
                let last = relative[relative.index(after: slash)...]
                if last == "_manifests" || last == "_layers" {
                    found.insert(String(relative[..<slash]))
                    return .skipDirectory
                }
                return last.hasPrefix("_") ? .skipDirectory : .continue
            }
        } catch StorageError.pathNotFound {
            return []
        }
        return found.sorted()
    }
}
