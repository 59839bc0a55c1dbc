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
        var headers: HTTPHeaders = ["Content-Type": "application/json; charset=utf-8"]
        let page: CatalogPageCache.Page
        var listing: CatalogIndex.Listing?
        if let directories = context.storage.directories {
            listing = try await context.catalog.listing(directories: directories, root: context.paths.repositoriesRoot)
        }
        if let cache = context.pullThrough {
            // What a mirror lists depends on tags too, which the listing's generation does not cover.
            let names = if let listing { listing.names } else { try await walkedRepositories() }
            let proxied = try await cache.catalogPage(names, request: request, pagination: pagination, context: context)
            page = proxied.page
            if let ns = proxied.namespace { headers.set("OCI-Namespace", ns) }
        } else if let listing {
            page = context.catalogPages.page(generation: listing.generation, pagination) { Self.page(listing.names, pagination) }
        } else {
            page = Self.page(try await walkedRepositories(), pagination)
        }
        if let link = page.link { headers.set("Link", link) }
        return HTTPResponse(status: 200, headers: headers, body: .bytes(page.body))
    }

    /// The page of `names` (sorted) that `pagination` asks for.
    static func page(_ names: [String], _ pagination: Pagination) -> CatalogPageCache.Page {
        let (entries, more) = pagination.page(names)
        var link: String?
        if more, let last = entries.last, let n = pagination.limit {
            link = Pagination.link(path: "/v2/_catalog", last: last, limit: n)
        }
        return CatalogPageCache.Page(body: NameListJSON.repositories(entries), link: link)
    }

    /// Every repository name, sorted, by walking the tree: for drivers without directory
    /// versions, where ``CatalogIndex`` cannot validate what it keeps.
    func walkedRepositories() async throws -> [String] {
        let root = context.paths.repositoriesRoot
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
