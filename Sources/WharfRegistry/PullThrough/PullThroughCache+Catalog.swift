import Foundation
import WharfAPI
import WharfHTTP

extension PullThroughCache {
    /// The `_catalog` page of a registry that proxies: `names` (every repository in storage,
    /// sorted) less the proxied repositories that hold no tag, so a repository whose cached
    /// tags all expired (``CachedTagExpiry``) drops out as its tags do.
    ///
    /// With `?ns=` naming an upstream's `namespace`, only that upstream's repositories, named
    /// as a client asks for them with the same `?ns=` (without the prefix), and the answer's
    /// `namespace` to echo as `OCI-Namespace`. Any other `ns` is ignored, as on every route
    /// (a mirror in distribution's single form has no namespace, and containerd sends one).
    func catalogPage(_ names: [String], request: HTTPRequest, pagination: Pagination,
                     context: RegistryContext) async throws -> (page: CatalogPageCache.Page, namespace: String?) {
        let ns = request.queryValues("ns").first.flatMap { $0.isEmpty ? nil : $0 }
        let selected = ns.flatMap { n in upstreams.first { $0.upstream.namespace == n } }
        var candidates: [(shown: String, local: String)]
        if let selected {
            let prefix = selected.upstream.prefix + "/"
            candidates = names.filter { $0.hasPrefix(prefix) && upstream(forLocal: $0) === selected }
                .map { (String($0.dropFirst(prefix.count)), $0) }
        } else {
            candidates = names.map { ($0, $0) }
        }
        if let last = pagination.last { candidates.removeAll { $0.shown <= last } }
        let limit = pagination.limit ?? candidates.count
        // Candidates are checked in batches until a page and one more entry (is there a next page?) are found.
        var shown: [String] = []
        var next = 0
        while next < candidates.count, shown.count <= limit {
            let batch = Array(candidates[next..<min(candidates.count, next + limit + 1 - shown.count)])
            next += batch.count
            shown += try await TagLookup.bounded(batch, limit: context.options.tagConcurrencyLimit) { c in
                try await self.isListed(c.local, context: context) ? c.shown : nil
            }
        }
        var link: String?
        if shown.count > limit {
            shown = Array(shown.prefix(limit))
            if let last = shown.last {
                let query = (selected == nil ? "" : "ns=\(Pagination.percentEncodeQuery(ns ?? ""))&")
                    + "last=\(Pagination.percentEncodeQuery(last))&n=\(limit)"
                link = "</v2/_catalog?\(query)>; rel=\"next\""
            }
        }
        return (CatalogPageCache.Page(body: NameListJSON.repositories(shown), link: link), selected == nil ? nil : ns)
    }

    /// True unless `name` is proxied and holds no tag.
    private func isListed(_ name: String, context: RegistryContext) async throws -> Bool {
        guard upstream(forLocal: name) != nil, let repository = try? RepositoryName(name) else { return true }
        return !(try await ManifestStore(context: context).tags(repository) ?? []).isEmpty
    }
}
