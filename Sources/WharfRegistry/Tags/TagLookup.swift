import Foundation

/// Runs per-tag work with at most `storage.tag.concurrencylimit` in flight, as
/// distribution bounds its tag lookups: deleting a manifest reads every tag's current link
/// to find the ones pointing at it (a repository may have thousands of tags), then
/// removes those tags.
enum TagLookup {
    /// `lookup` applied to every element of `items`, `limit` at a time; the non-nil
    /// results in the order of `items`.
    static func bounded<T: Sendable, R: Sendable>(_ items: [T], limit: Int,
                                                  _ lookup: @escaping @Sendable (T) async throws -> R?) async throws -> [R] {
        let limit = max(1, limit)
        return try await withThrowingTaskGroup(of: (Int, R?).self) { group in
            var results = [R?](repeating: nil, count: items.count)
            var next = 0
            while next < min(limit, items.count) {
                let index = next, item = items[index]
                group.addTask { (index, try await lookup(item)) }
                next += 1
            }
            while let (index, result) = try await group.next() {
                results[index] = result
                if next < items.count {
                    let i = next, item = items[i]
                    group.addTask { (i, try await lookup(item)) }
                    next += 1
                }
            }
            return results.compactMap { $0 }
        }
    }
}
