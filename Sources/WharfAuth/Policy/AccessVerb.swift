/// What a request does, as the policy sees it.
public enum AccessVerb: String, Sendable, CaseIterable, Comparable {
    /// Read manifests, blobs, tags, referrers.
    case pull
    /// Upload blobs, put manifests, mount into.
    case push
    /// Delete manifests and blobs.
    case delete
    /// List every repository (`/v2/_catalog`).
    case catalog
    /// Read `/extensions/v2/metrics`.
    case metrics
    /// Registry administration (`/extensions/v2/pruner`).
    case admin

    /// The verbs that need a binding on every project (`*`), not on one.
    public static let registryWide: Set<AccessVerb> = [.catalog, .metrics, .admin]

    /// Declaration order.
    public static func < (a: AccessVerb, b: AccessVerb) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
