import Foundation

/// Encoded `_catalog` pages of the newest ``CatalogIndex`` generation seen, by `n` and
/// `last`, so a catalog that did not change is not paginated and encoded again.
///
/// Exact by construction: a page is only served for the generation it was made from, and
/// the index never gives two different answers the same generation. A new generation
/// drops every page; at most ``capacity`` pages are kept (`last` is the client's choice).
final class CatalogPageCache: @unchecked Sendable {
    /// One response: the JSON body and the `Link` header to the next page, if any.
    struct Page: Sendable {
        var body: Data
        var link: String?
    }

    private struct Key: Hashable {
        var limit: Int?
        var last: String?
    }

    let capacity: Int
    private var generation: UInt64 = 0
    private var pages: [Key: Page] = [:]
    private let lock = NSLock()

    init(capacity: Int = 16) {
        self.capacity = capacity
    }

    /// The page for `pagination` of the answer with `generation`, made by `make` when not kept.
    func page(generation: UInt64, _ pagination: Pagination, make: () -> Page) -> Page {
        let key = Key(limit: pagination.limit, last: pagination.last)
        if let hit = lock.withLock({ self.generation == generation ? pages[key] : nil }) { return hit }
        let page = make()
        lock.withLock {
            guard generation >= self.generation, capacity > 0 else { return }
            if generation != self.generation || pages.count >= capacity {
                pages.removeAll(keepingCapacity: true)
                self.generation = generation
            }
            pages[key] = page
        }
        return page
    }
}
